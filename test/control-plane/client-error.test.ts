import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { request, startTestControlPlane } from '../helpers/cp.js';

function raw(url: string, data: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(Number(new URL(url).port), '127.0.0.1', () => s.end(data));
    let out = '';
    s.setEncoding('utf8').on('data', (d: string) => (out += d));
    s.on('error', reject);
    s.on('close', () => resolve(out));
  });
}

function problemOf(res: string): { status: number; title: string; detail: string } {
  return JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4)) as { status: number; title: string; detail: string };
}

test('requests node:http cannot parse get problem details (431 for huge headers), and the server keeps serving', async (t) => {
  const cp = await startTestControlPlane(t);
  const huge = await raw(cp.url, `GET /meshes HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(100_000)}\r\n\r\n`);
  assert.match(huge, /^HTTP\/1\.1 431 /);
  assert.equal(problemOf(huge).status, 431);
  assert.match(problemOf(huge).detail, /^the request is not valid HTTP\/1\.1 \(HPE_HEADER_OVERFLOW\)/);
  const nonUtf8 = await raw(cp.url, Buffer.concat([Buffer.from('GET /meshes/'), Buffer.from([0xff, 0xfe]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
  assert.match(nonUtf8, /^HTTP\/1\.1 400 /);
  assert.equal(problemOf(nonUtf8).title, 'Bad Request');
  const badChunk = await raw(cp.url, 'PUT /meshes/m HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
  assert.match(badChunk, /^HTTP\/1\.1 400 /);
  assert.equal(problemOf(badChunk).status, 400);
  assert.equal((await request(`${cp.url}/meshes`)).status, 200, 'still serving');
});
