import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { BadGatewayError } from '../../../src/core/errors.js';
import { fetchEgressAdmin } from '../../../src/control-plane/dp-server/admin-fetch.js';
import { createMemoryStore } from '../../../src/control-plane/store/memory.js';
import { request, startTestControlPlane } from '../../helpers/cp.js';

/** An "admin API" registered by a hostile egress: answers 200 and never stops sending. */
async function hostileAdmin(t: TestContext, mode: 'flood' | 'trickle'): Promise<number> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const timer = setInterval(() => {
      if (mode === 'trickle') res.write('x');
      else while (res.write(chunk));
    }, mode === 'trickle' ? 20 : 1);
    res.on('close', () => clearInterval(timer));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => (server.closeAllConnections(), server.close()));
  return (server.address() as AddressInfo).port;
}

test('inspect of an egress whose admin API streams without end is a 502 at the size cap, and the control plane lives on', async (t) => {
  const cp = await startTestControlPlane(t);
  const port = await hostileAdmin(t, 'flood');
  await cp.store.create({ type: 'ZoneEgress', name: 'evil', zone: 'default', networking: { address: '127.0.0.1', port: 10002, admin: { port } } });
  const res = await request(`${cp.url}/zoneegresses/evil/stats`);
  assert.equal(res.status, 502);
  assert.equal(
    (res.json as { detail: string }).detail,
    `the admin API of zone egress evil at http://127.0.0.1:${port}/stats sent more than 16777216 bytes; nothing was relayed (an egress's admin output is far smaller: is that address really its admin port?)`,
  );
  assert.equal((await request(`${cp.url}/zoneegresses`)).status, 200);
});

test('an admin API that trickles its answer is cut at the overall deadline, not only at an idle timeout', async (t) => {
  const store = createMemoryStore();
  const port = await hostileAdmin(t, 'trickle');
  await store.create({ type: 'ZoneEgress', name: 'slow', zone: 'default', networking: { address: '127.0.0.1', port: 10002, admin: { port } } });
  const started = Date.now();
  await assert.rejects(
    fetchEgressAdmin(store, 'slow', 'config-dump', { timeoutMs: 1000, deadlineMs: 300 }),
    (err: unknown) => err instanceof BadGatewayError && err.message === `the admin API of zone egress slow at http://127.0.0.1:${port}/config_dump did not finish its answer within 300 ms; nothing was relayed`,
  );
  assert.ok(Date.now() - started < 2000);
});
