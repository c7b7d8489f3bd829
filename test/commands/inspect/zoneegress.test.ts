/**
 * `zonectl inspect zoneegress NAME` when the control plane cannot get the egress's admin output:
 * the CLI reports the control plane's 502/503 as what it is, with the server's detail, not as an
 * internal failure of the control plane.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { cliContext } from '../../cli/context.js';
import { runCli } from '../../helpers/cli.js';
import { startTestControlPlane } from '../../helpers/cp.js';

test('inspect zoneegress: an egress admin API that floods is a 502, one that is down a 503; both exit 1 with the detail', async (t) => {
  const cp = await startTestControlPlane(t);
  // An "admin API" that answers 200 and never stops sending: the control plane cuts it at 16 MiB.
  const flood = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (res.write(chunk));
    };
    res.on('drain', pump);
    pump();
  });
  flood.listen(0, '127.0.0.1');
  await once(flood, 'listening');
  t.after(() => (flood.closeAllConnections(), flood.close()));
  const floodPort = (flood.address() as AddressInfo).port;
  // A port where nothing listens.
  const gone = createServer().listen(0, '127.0.0.1');
  await once(gone, 'listening');
  const gonePort = (gone.address() as AddressInfo).port;
  await new Promise((resolve) => gone.close(resolve));
  await cp.store.create({ type: 'ZoneEgress', name: 'evil', zone: 'default', networking: { address: '127.0.0.1', port: 10002, admin: { port: floodPort } } });
  await cp.store.create({ type: 'ZoneEgress', name: 'down', zone: 'default', networking: { address: '127.0.0.1', port: 10003, admin: { port: gonePort } } });
  const { env } = cliContext(t, cp.url);

  const evil = await runCli(['inspect', 'zoneegress', 'evil', '--type', 'stats'], { env });
  assert.equal(evil.code, 1);
  assert.equal(
    evil.stderr,
    `Error: control plane at ${cp.url} answered 502 Bad Gateway: the admin API of zone egress evil at http://127.0.0.1:${floodPort}/stats sent more than 16777216 bytes; nothing was relayed (an egress's admin output is far smaller: is that address really its admin port?)\n`,
  );
  const down = await runCli(['inspect', 'zoneegress', 'down', '--type', 'stats'], { env });
  assert.equal(down.code, 1);
  assert.equal(
    down.stderr,
    `Error: control plane at ${cp.url} answered 503 Service Unavailable: cannot reach the admin API of zone egress down at http://127.0.0.1:${gonePort}/stats: ECONNREFUSED (is the egress running, and is its admin port reachable from the control plane?)\n`,
  );
});
