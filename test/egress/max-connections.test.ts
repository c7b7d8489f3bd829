// `dp run --max-connections`: connections over the cap are closed at accept, counted, and logged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import tls from 'node:tls';
import type { AccessRecord } from '../../src/egress/access-log-format.js';
import type { LineSinks } from '../../src/egress/lines.js';
import type { EgressSnapshot } from '../../src/resources/egress-config.js';
import { admin, closed, egress, rawConnect, readN, serverPki, tlsEcho, until } from './helpers.js';

const SNI = 'backend{mesh=mesh-1}';

for (const rawHandles of [true, false]) {
test(`connections over --max-connections are closed at once, counted and logged; served again once below the cap (${rawHandles ? 'libuv handles' : 'net.Socket'})`, async (t) => {
  const pki = await serverPki('ingress');
  const ingress = await tlsEcho(t, 'ing', { cert: pki.server.certPem, key: pki.server.keyPem });
  const lines: string[] = [];
  const sinks: LineSinks = () => ({ write: (line) => void lines.push(line) });
  const snapshot: EgressSnapshot = {
    version: 'v1',
    identities: [],
    routes: [{ kind: 'passthrough', sni: SNI, mesh: 'mesh-1', service: 'backend', endpoints: [{ address: '127.0.0.1', port: ingress.port, weight: 1 }] }],
    accessLog: { backends: [{ name: 'rejections', type: 'file', path: '/logs/rejections' }], routes: [], unrouted: ['rejections'] },
  };
  // A long ClientHello timeout: the held connections stay until the test closes them.
  const e = await egress(t, snapshot, { maxConnections: 2, clientHelloTimeoutMs: 60_000, lines: sinks, rawHandles });
  const held = [await rawConnect(t, e.port), await rawConnect(t, e.port)];
  await until(() => e.stats().accepted === 2, 'two accepted connections');

  const started = Date.now();
  const over = await rawConnect(t, e.port);
  const overPort = over.localPort;
  const end = await Promise.race([closed(over), new Promise<'open'>((r) => setTimeout(() => r('open'), 3_000).unref())]);
  assert.notEqual(end, 'open', 'the connection over the cap is still open after 3 s');
  assert.ok(Date.now() - started < 3_000);
  assert.equal(e.stats().rejected['max-connections'], 1);
  assert.equal(e.stats().accepted, 2);
  assert.match((await admin(e, '/stats')).body, /^rejected\.max-connections: 1$/m);
  assert.match((await admin(e, '/stats/prometheus')).body, /^zonectl_egress_rejected_connections_total\{reason="max-connections"\} 1$/m);
  await until(() => lines.length === 1, 'the rejection line');
  const rec = JSON.parse(lines[0]) as AccessRecord;
  assert.deepEqual({ close: rec.close, client: rec.client, sni: rec.sni, route: rec.route, bytesIn: rec.bytesIn }, { close: 'max-connections', client: `127.0.0.1:${overPort}`, sni: null, route: null, bytesIn: 0 });

  // One held connection goes: a new client is let in (once the egress saw it close) and relayed.
  held[0].destroy();
  const echo = async (): Promise<string> => {
    const c = tls.connect({ host: '127.0.0.1', port: e.port, servername: SNI, ca: pki.ca.certPem, checkServerIdentity: () => undefined });
    c.on('error', () => {});
    c.write('hello');
    try {
      return await readN(c, 9);
    } catch {
      return '';
    } finally {
      c.destroy();
    }
  };
  let answer = '';
  for (let i = 0; i < 100 && answer !== 'ing:hello'; i++) answer = await echo();
  assert.equal(answer, 'ing:hello');
  assert.ok(held[1].readyState === 'open', 'the other held connection is still open');
});
}
