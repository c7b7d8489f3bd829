// How the egress's control-plane session tells permanent misconfiguration (exit with a message)
// from transient failures (retry, logging the attempt and the next delay), through real servers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { Writable } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/log.js';
import { parseCpAddress } from '../../src/egress/cp-session-http.js';
import { startCpSession, type CpSession } from '../../src/egress/cp-session.js';
import { runCli } from '../helpers/cli.js';
import { startTestControlPlane } from '../helpers/cp.js';
import { startCp } from '../control-plane/dp-server/harness.js';

function session(t: TestContext, cpAddress: string, extra: Partial<Parameters<typeof startCpSession>[0]> = {}): CpSession {
  const s = startCpSession({
    cpAddress,
    token: 'egress-token',
    zoneEgress: { type: 'ZoneEgress', name: 'e1', networking: { address: '127.0.0.1', port: 10002 } },
    version: '0.1.0',
    backoff: { initialMs: 20, maxMs: 50 },
    onSnapshot: () => ({ ok: true }),
    ...extra,
  });
  t.after(() => s.close());
  return s;
}

const usage = (re: RegExp) => (err: unknown) => err instanceof UsageError && re.test(err.message);

describe('permanent misconfiguration ends the session with a usage error', () => {
  test('an invalid URL or a scheme other than https', () => {
    assert.throws(() => parseCpAddress('127.0.0.1:5678'), usage(/^--cp-address "127\.0\.0\.1:5678" is not a URL: give the control plane's dp-server, e\.g\. https:\/\/127\.0\.0\.1:5678$/));
    assert.throws(() => parseCpAddress('http://cp:5678'), usage(/^--cp-address http:\/\/cp:5678: the dp-server speaks HTTPS only; use https:\/\/cp:5678$/));
    assert.throws(() => parseCpAddress('grpcs://cp:5678'), usage(/unsupported scheme grpcs/));
    assert.equal(parseCpAddress('https://cp:5678').port, '5678');
  });

  test('dp run with an invalid --cp-address exits 2 naming the flag', async () => {
    const res = await runCli(['dp', 'run', '--proxy-type=egress', '--cp-address', 'not a url', '--dataplane-file', 'x.yaml', '--dataplane-token-file', 'x.token']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--cp-address "not a url" is not a URL/);
  });

  test("the API's plain-HTTP port: does not speak TLS", async (t) => {
    const cp = await startTestControlPlane(t);
    const s = session(t, cp.url.replace('http:', 'https:'));
    await assert.rejects(s.done, usage(/does not speak TLS: is it the control plane's API port \(5681\) rather than its dp-server's/));
  });

  test("the API's TLS port: POST /bootstrap is a 404, so it is not a dp-server", async (t) => {
    const cp = await startTestControlPlane(t, { apiTlsAuto: true });
    const s = session(t, cp.instance.tlsUrl!, { caCertFile: cp.instance.tlsCaFile });
    await assert.rejects(s.done, usage(/^--cp-address https:\/\/127\.0\.0\.1:\d+ is not a zonectl dp-server \(POST \/bootstrap answered: .*\); is it the API's port\?/));
  });

  test('a dp-server certificate from a CA the egress does not trust', async (t) => {
    const { url } = await startCp(t);
    const s = session(t, url);
    await assert.rejects(s.done, usage(/presented a certificate this egress does not trust \(\w+\): pass its CA with --ca-cert-file/));
  });
});

test('a control plane that accepts and never answers (SIGSTOP) times out; the session retries, logging the attempt and the next delay', async (t) => {
  const server = net.createServer(() => {}).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const held: net.Socket[] = [];
  server.on('connection', (sock) => held.push(sock));
  t.after(() => (held.forEach((s) => s.destroy()), server.close()));
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)), cb()) });
  const s = session(t, `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`, { requestTimeoutMs: 150, logger: createLogger('t', { destination: sink }) });
  const deadline = Date.now() + 10_000;
  while (lines.filter((l) => l.attempt !== undefined).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const failures = lines.filter((l) => l.attempt !== undefined);
  assert.deepEqual(failures.slice(0, 2).map((l) => l.attempt), [1, 2]);
  assert.match(String(failures[0].msg), /^control plane session failed \(attempt 1\); keeping the current config and retrying in \d+ ms$/);
  assert.equal(typeof failures[0].retryInMs, 'number');
  assert.match(String(failures[0].err), /did not answer within 150 ms \(stopped, overloaded, or a firewall dropping packets\?\)/);
  assert.notEqual(s.state, 'stopped', 'still trying');
});
