import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { once } from 'node:events';
import { connect } from 'node:tls';
import { INGRESS_TOKEN, MESH, RecordingSession, insightOf, startCp, waitForStore, zoneEgress } from './harness.js';

/** Writes raw bytes over TLS and collects everything the server answers until it closes. */
function rawTls(port: number, ca: string | undefined, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', ca, servername: 'localhost', checkServerIdentity: () => undefined }, () => s.write(data));
    let out = '';
    s.setEncoding('utf8').on('data', (d: string) => (out += d));
    s.on('error', reject);
    s.on('close', () => resolve(out));
  });
}

describe('dp-server robustness', () => {
  test('a request target that is not a parseable URL is a 400 problem, and the dp-server keeps serving', async (t) => {
    const { dp } = await startCp(t);
    const res = await rawTls(dp.port, dp.caPem, 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(res, /^HTTP\/1\.1 400 /);
    assert.match(res, /"detail":"malformed request path: \/\/\["/);
    const again = await rawTls(dp.port, dp.caPem, 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(again, /^HTTP\/1\.1 404 /);
  });
});

describe('dp-server stream lifecycle', () => {
  test('an egress that disconnects while its stream request is being authenticated leaves no open stream and no Online subscription', async (t) => {
    let gate!: () => void;
    const gated = new Promise<void>((r) => (gate = r));
    let calls = 0;
    const authenticate = async (token: string) => {
      // The first stream request waits here until its client is gone.
      if (token === 'slow' && calls++ === 0) await gated;
      return token;
    };
    const { store, dp, url } = await startCp(t, { authenticate });
    await store.create(MESH);
    await store.create(zoneEgress('e1'));
    const gone = connect({ port: dp.port, host: '127.0.0.1', ca: dp.caPem, servername: 'localhost', checkServerIdentity: () => undefined }, () => {
      gone.write('GET /egress/v1/stream?name=e1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer slow\r\n\r\n');
      gone.destroy();
    });
    gone.on('error', () => {});
    await once(gone, 'close');
    // One full request/response on a new connection: by then the server has read the first one's EOF.
    assert.match(await rawTls(dp.port, dp.caPem, 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 404 /);
    gate();
    const e = RecordingSession.start(t, url, dp.caPem, 'e1');
    await e.next();
    assert.equal(dp.streams(), 1, 'only the live egress has a stream');
    await waitForStore(store, async () => (await insightOf(store, 'e1')).length >= 1);
    const subs = await insightOf(store, 'e1');
    assert.equal(subs.filter((s) => s.disconnectTime === undefined).length, 1, JSON.stringify(subs));
  });
});

describe('dp-server authentication beyond bootstrap', () => {
  test('stream and ack requests without a token are 401, with a token the verifier refuses are 403: no stream opens', async (t) => {
    const { store, dp } = await startCp(t);
    await store.create(zoneEgress('e1'));
    const ask = (head: string, auth: string) => rawTls(dp.port, dp.caPem, `${head} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    for (const head of ['GET /egress/v1/stream?name=e1', 'POST /egress/v1/ack']) {
      assert.match(await ask(head, ''), /^HTTP\/1\.1 401 [^]*missing zone token/, head);
      assert.match(await ask(head, `Authorization: Bearer ${INGRESS_TOKEN}\r\n`), /^HTTP\/1\.1 403 [^]*out of token's scope/, head);
    }
    assert.equal(dp.streams(), 0);
  });
});

test('the dp-server refuses connections beyond its cap and closes TLS handshakes that never finish', async (t) => {
  const net = await import('node:net');
  const { dp } = await startCp(t, { limits: { maxConnections: 2, headersTimeoutMs: 1500 } });
  const open = async () => {
    const s = net.connect({ host: '127.0.0.1', port: dp.port });
    s.on('error', () => {});
    t.after(() => s.destroy());
    await once(s, 'connect');
    return s;
  };
  const held = [await open(), await open()];
  const third = await open();
  await once(third, 'close');
  assert.deepEqual(held.map((s) => s.destroyed), [false, false], 'the excess connection is closed first, at once');
  // The two held ones never start their TLS handshake: closed at the handshake timeout.
  await Promise.all(held.map((s) => once(s, 'close')));
  const e = RecordingSession.start(t, `https://127.0.0.1:${dp.port}`, dp.caPem, 'e1');
  await e.session.ready;
});
