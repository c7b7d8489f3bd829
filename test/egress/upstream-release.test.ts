import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { UPSTREAM_DEFAULTS, UpstreamTimers } from '../../src/egress/upstream-timers.js';
import { egress, listen } from './helpers.js';

test('a released upstream leaves the connect and idle sweeps at once', async (t) => {
  const port = await listen(t, net.createServer((s) => s.on('error', () => {})));
  const timers = new UpstreamTimers(() => UPSTREAM_DEFAULTS);
  t.after(() => timers.stop());
  const up = net.connect({ host: '127.0.0.1', port });
  t.after(() => up.destroy());
  timers.connecting(up);
  assert.deepEqual(timers.counts(), { connecting: 1, relayed: 0 });
  await once(up, 'connect');
  timers.relayed(up, up);
  assert.deepEqual(timers.counts(), { connecting: 0, relayed: 1 });
  timers.released(up);
  assert.deepEqual(timers.counts(), { connecting: 0, relayed: 0 });
});

test('closed connections are not kept in memory (they were, ~2.8 KB each, until the idle sweep 30 s later)', async (t) => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const hello = readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url));
  const upPort = await listen(
    t,
    net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('x'));
    }),
  );
  const e = await egress(t, { version: 'v1', identities: [], routes: [{ kind: 'passthrough', sni: 'backend{mesh=mesh-1}', mesh: 'mesh-1', service: 'backend', endpoints: [{ address: '127.0.0.1', port: upPort, weight: 1 }] }] });
  const one = () =>
    new Promise<void>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: e.port });
      s.on('error', () => {});
      s.on('data', () => {});
      s.on('end', () => s.end());
      s.on('close', () => resolve());
      s.write(hello);
    });
  const batch = async (n: number) => {
    let i = 0;
    await Promise.all(Array.from({ length: 20 }, async () => { while (i++ < n) await one(); }));
    // The relays' close handlers run after the clients saw their close.
    await new Promise((r) => setTimeout(r, 100));
    gc();
  };
  await batch(200);
  const before = process.memoryUsage().heapUsed;
  await batch(2000);
  const perConn = (process.memoryUsage().heapUsed - before) / 2000;
  assert.ok(perConn < 800, `heap grew ${perConn.toFixed(0)} bytes per closed connection`);
});
