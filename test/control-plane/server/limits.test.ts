// Connection cap and timeouts of the API server (server/limits.ts), through raw sockets.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { request, startTestControlPlane } from '../../helpers/cp.js';

/** A raw client that never closes its side (allowHalfOpen) and records what it got. */
async function client(t: TestContext, url: string): Promise<{ sock: net.Socket; got: () => string }> {
  const sock = net.connect({ host: '127.0.0.1', port: Number(new URL(url).port), allowHalfOpen: true });
  let got = '';
  sock.setEncoding('utf8').on('data', (d: string) => (got += d));
  sock.on('error', () => {});
  t.after(() => sock.destroy());
  await once(sock, 'connect');
  return { sock, got: () => got };
}

test('a request that stalls in its headers is answered 408 at the header timeout and closed', async (t) => {
  const cp = await startTestControlPlane(t, { limits: { headersTimeoutMs: 200, requestTimeoutMs: 300 } });
  const c = await client(t, cp.url);
  const started = Date.now();
  c.sock.write('GET /meshes HTTP/1.1\r\nHost: x\r\n');
  await once(c.sock, 'end');
  assert.match(c.got(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(c.got(), /"detail":"the request is not valid HTTP\/1\.1 \(ERR_HTTP_REQUEST_TIMEOUT\); nothing was changed"/);
  assert.ok(Date.now() - started < 3000);
});

test('clients answered with an error that never close their side are let go, and the connection cap refuses the excess until they are', async (t) => {
  const cp = await startTestControlPlane(t, { limits: { maxConnections: 3 } });
  const bad = [await client(t, cp.url), await client(t, cp.url), await client(t, cp.url)];
  for (const b of bad) {
    b.sock.write('NOT HTTP\r\n\r\n');
    await once(b.sock, 'end');
    assert.match(b.got(), /^HTTP\/1\.1 400 /);
  }
  // Three connections held: a fourth is closed before anything is read.
  await assert.rejects(request(`${cp.url}/meshes`), (err: NodeJS.ErrnoException) => ['ECONNRESET', 'EPIPE'].includes(err.code ?? '') || /socket hang up/.test(err.message));
  // The server drops them after its linger time (2 s; they used to stay until the client closed).
  const deadline = Date.now() + 10_000;
  let status = 0;
  while (status !== 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    status = await request(`${cp.url}/meshes`).then((r) => r.status, () => 0);
  }
  assert.equal(status, 200, 'served again once they are gone');
});

test('HTTP/0.9 request lines are refused with 505', async (t) => {
  const cp = await startTestControlPlane(t);
  const c = await client(t, cp.url);
  c.sock.write('GET /meshes\r\n\r\n');
  await once(c.sock, 'end');
  assert.match(c.got(), /^HTTP\/1\.1 505 HTTP Version Not Supported\r\n/);
  assert.match(c.got(), /"detail":"HTTP\/0\.9 requests are not served: send HTTP\/1\.1 \(curl, kumactl and zonectl do\)"/);
});

test('a connection with no byte either way is closed at the idle timeout', async (t) => {
  const cp = await startTestControlPlane(t, { limits: { idleTimeoutMs: 300 } });
  const c = await client(t, cp.url);
  const started = Date.now();
  c.sock.write(`PUT /meshes/m1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${cp.adminToken}\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{`);
  await once(c.sock, 'end');
  assert.equal(c.got(), '', 'closed without an answer');
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 3000, `closed after ${took} ms`);
});

test('pipelined requests: 100 in flight are all answered; a client with 5,000 in flight is closed, and others are served meanwhile', async (t) => {
  const cp = await startTestControlPlane(t);
  const answers = (s: string) => s.match(/HTTP\/1\.1 200 OK\r\n/g)?.length ?? 0;

  const fine = await client(t, cp.url);
  fine.sock.write(Array.from({ length: 100 }, (_, i) => `GET /meshes?size=${(i % 10) + 1} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
  const deadline = Date.now() + 10_000;
  while (answers(fine.got()) < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(answers(fine.got()), 100, 'every pipelined request within the cap is answered');
  assert.ok(!fine.sock.readableEnded, 'and the connection stays open');

  const flood = await client(t, cp.url);
  // Closed with answers unread and requests unparsed: the client may see a reset ('error' first).
  let closedAt = 0;
  flood.sock.on('close', () => (closedAt = Date.now()));
  flood.sock.write('GET /meshes HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(5_000));
  const started = Date.now();
  const good = await request(`${cp.url}/meshes`);
  assert.equal(good.status, 200);
  while (!closedAt && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
  assert.ok(closedAt, `still open after 10 s with ${answers(flood.got())} answers`);
  assert.ok(closedAt - started < 5_000, `closed after ${closedAt - started} ms`);
  assert.ok(answers(flood.got()) < 200, `at most the cap answered, got ${answers(flood.got())}`);
});
