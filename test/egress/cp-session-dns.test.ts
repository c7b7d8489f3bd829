/**
 * `dp run --cp-address https://NAME:5678` where NAME has several addresses (several control-plane
 * instances behind one DNS name): after a failed attempt the session tries the next address.
 * `localhost` resolves to 127.0.0.1 alone on most machines (`getent ahosts localhost`), so the
 * test answers the lookup itself, as a DNS server would for such a name: 127.0.0.2 first (nothing
 * listens there: an instance that is down), then 127.0.0.1 (a real dp-server). The connections are
 * real sockets, and the dp-server certificate is verified against the name.
 */
import assert from 'node:assert/strict';
import dns, { type LookupAddress } from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import { test } from 'node:test';
import { startCpSession } from '../../src/egress/cp-session.js';
import { EGRESS_TOKEN, insightOf, startCp, waitForStore, zoneEgress } from '../control-plane/dp-server/harness.js';

test('a control-plane host name with several addresses: a refused address is skipped for the next one', async (t) => {
  const { dp, store } = await startCp(t);
  const original = dns.lookup;
  const asked: string[] = [];
  const lookup = (host: string, opts: unknown, cb: (err: Error | null, addresses: LookupAddress[]) => void) => {
    if (host !== 'localhost') return (original as (...a: unknown[]) => void)(host, opts, cb);
    asked.push(host);
    cb(null, [
      { address: '127.0.0.2', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ]);
  };
  dns.lookup = lookup as typeof dns.lookup;
  // The session imports lookup from node:dns: make its binding see the replacement.
  syncBuiltinESMExports();
  t.after(() => {
    dns.lookup = original;
    syncBuiltinESMExports();
  });
  const warnings: string[] = [];
  const logger = { warn: (o: unknown, m?: string) => warnings.push(`${m ?? ''} ${JSON.stringify(o)}`), info: () => undefined, error: () => undefined } as never;
  const session = startCpSession({
    cpAddress: `https://localhost:${dp.port}`,
    ca: dp.caPem,
    token: EGRESS_TOKEN,
    zoneEgress: zoneEgress('egress-1'),
    version: '0.1.0',
    onSnapshot: () => ({ ok: true }),
    logger,
    backoff: { initialMs: 5, maxMs: 10 },
  });
  t.after(() => session.close());
  let timer!: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no snapshot within 10 s; warnings:\n${warnings.join('\n')}`)), 10_000)));
  t.after(() => clearTimeout(timer));
  await Promise.race([session.ready, deadline]);
  assert.equal(session.connected, true);
  assert.ok(asked.length >= 2, 'each attempt resolves the name again');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], new RegExp(`^control plane session failed \\(attempt 1\\).*control plane at https://localhost:${dp.port} is unreachable: ECONNREFUSED`));
  await waitForStore(store, async () => (await insightOf(store, 'egress-1')).some((s) => s.controlPlaneInstanceId === 'cp-1' && s.disconnectTime === undefined));
});
