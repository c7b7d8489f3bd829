// Upstream connect timeout (failover in time), idle timeout and settings precedence, through real
// sockets: a SYN-dropping endpoint is a stopped listener with a full accept queue (helpers/faults).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { EgressSnapshot } from '../../src/resources/egress-config.js';
import { synDroppingPort } from '../helpers/faults.js';
import { closed, egress, plainEcho, rawConnect, readN, until } from './helpers.js';

const SNI = 'backend{mesh=mesh-1}';
const hello = () => readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url));
const snapshot = (ports: number[], upstream?: EgressSnapshot['upstream']): EgressSnapshot => ({
  version: 'v1',
  identities: [],
  routes: [{ kind: 'passthrough', sni: SNI, mesh: 'mesh-1', service: 'backend', endpoints: ports.map((port) => ({ address: '127.0.0.1', port, weight: 1 })) }],
  ...(upstream ? { upstream } : {}),
});

describe('upstream timeouts', () => {
  test('an endpoint that drops SYNs is given up at the connect timeout and the next endpoint serves the client', async (t) => {
    const dead = await synDroppingPort(t);
    const good = await plainEcho(t, 'good');
    // random() = 0 picks the first endpoint: the dead one.
    const e = await egress(t, snapshot([dead, good]), { random: () => 0, upstream: { connectTimeoutMs: 300 } });
    const c = await rawConnect(t, e.port);
    const started = Date.now();
    c.write(hello());
    assert.equal((await readN(c, 5)).slice(0, 5), 'good:');
    const took = Date.now() - started;
    assert.ok(took >= 290 && took < 3000, `failover took ${took} ms`);
    assert.equal(e.stats().upstreamConnectFailures, 1);
  });

  test("the snapshot's upstream section overrides the flags; with no endpoint left the client is closed", async (t) => {
    const dead = await synDroppingPort(t);
    const e = await egress(t, snapshot([dead], { connectTimeoutMs: 200 }), { upstream: { connectTimeoutMs: 60_000 } });
    const c = await rawConnect(t, e.port);
    const started = Date.now();
    const res = closed(c);
    c.write(hello());
    assert.equal((await res).bytes, 0);
    const took = Date.now() - started;
    assert.ok(took >= 190 && took < 3000, `closed after ${took} ms`);
  });

  test('a relayed connection with no traffic is closed at the idle timeout; traffic keeps it open', async (t) => {
    const up = await plainEcho(t, 'up');
    const e = await egress(t, snapshot([up], { idleTimeoutMs: 400 }));
    const c = await rawConnect(t, e.port);
    const res = closed(c);
    c.write(hello());
    await readN(c, 3);
    // Traffic every 100 ms for 800 ms: twice the idle timeout, and still open.
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(c.destroyed, false, `closed while busy (after ${(i + 1) * 100} ms)`);
      c.write('x');
    }
    const quiet = Date.now();
    await res;
    const took = Date.now() - quiet;
    assert.ok(took >= 390 && took < 3000, `closed ${took} ms after the last byte`);
    await until(() => e.stats().routes[SNI]?.active === 0, 'the route to be idle');
  });

  test('invalid upstream settings reject the snapshot with the field', async (t) => {
    const e = await egress(t, undefined);
    const res = e.applySnapshot({ ...snapshot([1]), upstream: { connectTimeoutMs: -1, bogus: 1 } as EgressSnapshot['upstream'] });
    assert.deepEqual(res, {
      ok: false,
      version: 'v1',
      reason: 'upstream.connectTimeoutMs: must be an integer number of milliseconds >= 0 (0 = off); upstream.bogus: is not a known setting (connectTimeoutMs, idleTimeoutMs, tcpKeepaliveMs)',
    });
  });
});
