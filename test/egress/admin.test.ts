import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admin, egress, rawConnect, readN } from './helpers.js';

describe('egress admin API robustness', () => {
  test('a request target that is not a parseable URL is a 400, and the admin API keeps answering', async (t) => {
    const e = await egress(t, undefined);
    const s = await rawConnect(t, e.adminPort);
    s.end('GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const res = await readN(s, Number.MAX_SAFE_INTEGER);
    assert.match(res, /^HTTP\/1\.1 400 /);
    assert.match(res, /malformed request path/);
    assert.equal((await admin(e, '/ready')).status, 503);
  });
});
