import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, test } from 'node:test';
import type { EgressSnapshot } from '../../src/resources/egress-config.js';
import { parsePrometheus, sample } from '../helpers/prom.js';
import { admin, closed, egress, listen, meshPki, plainEcho, rawConnect, readN, until } from './helpers.js';

const SNI = 'backend{mesh=mesh-1}';
const hello = (name = 'node-sni') => readFileSync(new URL(`../fixtures/egress/${name}.bin`, import.meta.url));
const pass = (port: number, version = 'v1', sni = SNI): EgressSnapshot => ({
  version,
  identities: [],
  routes: [{ kind: 'passthrough', sni, mesh: 'mesh-1', service: 'backend', endpoints: [{ address: '127.0.0.1', port, weight: 1, zone: 'zone-2' }] }],
});

describe('connections closed before routing, by reason', () => {
  const cases: Array<[string, string, () => Buffer]> = [
    ['unknown SNI', 'unknown-sni', () => hello('node-dns-name')],
    ['no SNI', 'no-sni', () => hello('node-nosni')],
    ['not TLS', 'not-tls', () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['malformed', 'malformed', () => Buffer.from([22, 3, 1, 0, 0])],
    ['oversized', 'too-large', () => Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x00, 0x50, 0x00])],
  ];
  for (const [what, reason, bytes] of cases) {
    test(`${what}: closed and counted as ${reason}`, async (t) => {
      const upstream = await plainEcho(t, 'up');
      const e = await egress(t, pass(upstream));
      const c = await rawConnect(t, e.port);
      const res = closed(c);
      c.write(bytes());
      assert.equal((await res).bytes, 0, 'nothing came back');
      await until(() => e.stats().rejected[reason as 'not-tls'] === 1, `${reason} to be counted`);
      const prom = await admin(e, '/stats/prometheus');
      assert.match(prom.body, new RegExp(`zonectl_egress_rejected_connections_total\\{reason="${reason}"\\} 1`));
    });
  }

  test('a slow ClientHello is closed after --client-hello-timeout', async (t) => {
    const e = await egress(t, pass(1), { clientHelloTimeoutMs: 100 });
    const c = await rawConnect(t, e.port);
    const res = closed(c);
    c.write(hello().subarray(0, 10));
    const started = Date.now();
    await res;
    assert.ok(Date.now() - started >= 80, 'not before the timeout');
    assert.equal(e.stats().rejected.timeout, 1);
  });

  test('of many connections waiting for their hello, each slow one is closed at the timeout and each one that finishes is relayed', async (t) => {
    // Connections leave the deadline set from its middle and while it is being swept (it keeps
    // positions on the connections themselves): none may be skipped, closed twice or closed early.
    const upstream = await plainEcho(t, 'up');
    const e = await egress(t, pass(upstream), { clientHelloTimeoutMs: 300 });
    const slow = await Promise.all(Array.from({ length: 30 }, () => rawConnect(t, e.port)));
    const good = await Promise.all(Array.from({ length: 10 }, () => rawConnect(t, e.port)));
    const slowClosed = slow.map((c) => closed(c));
    for (const c of slow) c.write(hello().subarray(0, 10));
    // Every other good connection finishes its hello right away, the rest after a sweep has run.
    for (const c of good.filter((_, i) => i % 2 === 0)) c.write(hello());
    await new Promise((r) => setTimeout(r, 150));
    for (const c of good.filter((_, i) => i % 2 === 1)) c.write(hello());
    // The echo upstream says `up:` and echoes the hello.
    for (const c of good) assert.ok((await readN(c, 3 + hello().length)).startsWith('up:'));
    await Promise.all(slowClosed);
    assert.equal(e.stats().rejected.timeout, 30);
    for (const c of good) {
      c.write('ping');
      assert.equal(await readN(c, 4), 'ping', 'relayed connections outlive the sweeps');
    }
  });

  test('a ClientHello cut short by EOF is malformed', async (t) => {
    const e = await egress(t, pass(1));
    const c = await rawConnect(t, e.port);
    const res = closed(c);
    c.end(hello().subarray(0, 50));
    await res;
    await until(() => e.stats().rejected.malformed === 1, 'malformed to be counted');
  });
});

describe('relay', () => {
  test('half-closes propagate both ways and the last bytes are not lost', async (t) => {
    let upstreamSawEnd = false;
    const port = await listen(
      t,
      net.createServer({ allowHalfOpen: true }, (s) => {
        let got = 0;
        s.on('data', (d: Buffer) => (got += d.length));
        s.on('end', () => {
          upstreamSawEnd = true;
          // Answer after the client's FIN: only works if the egress kept the other direction open.
          s.end(`got ${got} bytes, bye`);
        });
      }),
    );
    const e = await egress(t, pass(port));
    const c = net.connect({ host: '127.0.0.1', port: e.port, allowHalfOpen: true });
    t.after(() => c.destroy());
    const h = hello();
    c.end(h);
    const answer = await readN(c, 1e9);
    assert.equal(upstreamSawEnd, true);
    assert.equal(answer, `got ${h.length} bytes, bye`);
    await until(() => e.stats().routes[SNI]?.outcomes.closed === 1, 'a clean close');
  });

  test('an upstream reset tears down the client', async (t) => {
    const port = await listen(
      t,
      net.createServer((s) => s.once('data', () => s.resetAndDestroy())),
    );
    const e = await egress(t, pass(port));
    const c = await rawConnect(t, e.port);
    const res = closed(c);
    c.write(hello());
    await res;
    await until(() => e.stats().routes[SNI]?.active === 0, 'the route to be idle');
    assert.equal(e.stats().routes[SNI].outcomes.error, 1);
  });

  test('a client reset tears down the upstream', async (t) => {
    let upstreamClosed: Promise<unknown> | undefined;
    const port = await listen(
      t,
      net.createServer((s) => {
        s.on('error', () => {});
        upstreamClosed = once(s, 'close');
        s.resume();
        s.write('x');
      }),
    );
    const e = await egress(t, pass(port));
    const c = await rawConnect(t, e.port);
    c.write(hello());
    await once(c, 'data');
    c.resetAndDestroy();
    await upstreamClosed;
    await until(() => e.stats().routes[SNI]?.active === 0, 'the route to be idle');
  });
});

describe('snapshots', () => {
  test('a rejected snapshot keeps the old routes and is reported', async (t) => {
    const a = await plainEcho(t, 'a');
    const e = await egress(t, pass(a, 'v1'));
    const bad: EgressSnapshot = { version: 'v2', identities: [], routes: [{ kind: 'terminating', sni: 'x{mesh=m}', mesh: 'm', service: 'x', address: '127.0.0.1', port: 1 }] };
    const res = e.applySnapshot(bad);
    assert.deepEqual(res, { ok: false, version: 'v2', reason: "routes[0].mesh: no identity for mesh 'm' (add one under identities)" });
    assert.equal(e.snapshot()?.version, 'v1');
    const c = await rawConnect(t, e.port);
    c.write(hello());
    assert.equal((await readN(c, 2)).slice(0, 2), 'a:');
    const dump = JSON.parse((await admin(e, '/config_dump')).body);
    assert.equal(dump.version, 'v1');
    assert.deepEqual(dump.lastRejected, { version: 'v2', reason: res.ok ? '' : res.reason });
  });

  test('with partial, a route that does not compile is skipped and reported while the others apply', async (t) => {
    const a = await plainEcho(t, 'a');
    const e = await egress(t, pass(a, 'v1'));
    const mixed: EgressSnapshot = {
      version: 'v2',
      identities: [],
      routes: [
        { kind: 'terminating', sni: 'x{mesh=m}', mesh: 'm', service: 'x', address: '127.0.0.1', port: 1 },
        ...pass(a, 'v2').routes,
      ],
    };
    assert.equal(e.applySnapshot(mixed).ok, false, 'all or nothing by default (routes files)');
    const res = e.applySnapshot(mixed, { partial: true });
    assert.deepEqual(res, { ok: true, version: 'v2', skipped: ["routes[0].mesh: no identity for mesh 'm' (add one under identities)"] });
    assert.equal(e.snapshot()?.version, 'v2');
    const c = await rawConnect(t, e.port);
    c.write(hello());
    assert.equal((await readN(c, 2)).slice(0, 2), 'a:');
    const dump = JSON.parse((await admin(e, '/config_dump')).body);
    assert.deepEqual(dump.lastRejected, { version: 'v2', reason: "applied without what could not be used: routes[0].mesh: no identity for mesh 'm' (add one under identities)" });
  });

  test('a new snapshot applies to new connections', async (t) => {
    const a = await plainEcho(t, 'a');
    const b = await plainEcho(t, 'b');
    const e = await egress(t, pass(a, 'v1'));
    assert.deepEqual(e.applySnapshot(pass(b, 'v2')), { ok: true, version: 'v2' });
    const c = await rawConnect(t, e.port);
    c.write(hello());
    assert.equal((await readN(c, 2)).slice(0, 2), 'b:');
  });

  test('invalid shapes are rejected with field paths', async (t) => {
    const e = await egress(t, undefined);
    const res = e.applySnapshot({ version: '', identities: [], routes: [] });
    assert.deepEqual(res, { ok: false, version: '', reason: 'version: must be a non-empty string' });
    const res2 = e.applySnapshot({
      version: 'v3',
      identities: [],
      routes: [
        { kind: 'passthrough', sni: 'a', mesh: 'm', service: 'a', endpoints: [{ address: '', port: 70000, weight: 0 }] },
        { kind: 'passthrough', sni: 'a', mesh: 'm', service: 'a', endpoints: [] },
      ],
    });
    assert.equal(res2.ok, false);
    assert.equal(
      res2.ok ? '' : res2.reason,
      'routes[0].endpoints[0].address: must be a non-empty host name or IP; routes[0].endpoints[0].port: must be an integer port in 1-65535; routes[0].endpoints[0].weight: must be a number > 0 (the instances behind that ingress); routes[1].sni: duplicate route for SNI \'a\'',
    );
  });
});

describe('admin API', () => {
  test('/ready is 503 INITIALIZING until the first snapshot, then 200 READY', async (t) => {
    const e = await egress(t, undefined);
    assert.deepEqual(await admin(e, '/ready'), { status: 503, body: 'INITIALIZING\n', type: 'text/plain' });
    const up = await plainEcho(t, 'a');
    assert.equal(e.applySnapshot(pass(up)).ok, true);
    assert.deepEqual(await admin(e, '/ready'), { status: 200, body: 'READY\n', type: 'text/plain' });
  });

  test('/stats, /stats/prometheus, /clusters and /config_dump (keys redacted)', async (t) => {
    const up = await plainEcho(t, 'a');
    const m = await meshPki('mesh-1');
    const s = pass(up, 'v7');
    s.identities.push(m.identity);
    s.routes.push({ kind: 'terminating', sni: 'ext{mesh=mesh-1}', mesh: 'mesh-1', service: 'ext', address: '127.0.0.1', port: up, tls: { certPem: m.client.certPem, keyPem: m.client.keyPem, caPem: m.ca.certPem } });
    const e = await egress(t, s);
    const c = await rawConnect(t, e.port);
    c.write(hello());
    await readN(c, 2);
    c.end();
    await until(() => e.stats().routes[SNI]?.active === 0, 'close');

    const stats = await admin(e, '/stats');
    assert.match(stats.body, /^state: READY$/m);
    assert.match(stats.body, /^config_version: v7$/m);
    assert.match(stats.body, /^route\.backend\{mesh=mesh-1\}\.cx_total: 1$/m);

    const prom = await admin(e, '/stats/prometheus');
    assert.match(prom.type, /^text\/plain/);
    const fams = parsePrometheus(prom.body);
    const route = { route: 'backend{mesh=mesh-1}', kind: 'passthrough', mesh: 'mesh-1' };
    assert.equal(sample(fams, 'zonectl_egress_connections_total', { ...route, outcome: 'closed' }), 1);
    assert.equal(sample(fams, 'zonectl_egress_connections_active', route), 0);
    assert.ok(sample(fams, 'zonectl_egress_bytes_total', { ...route, direction: 'in' }) > 0);
    assert.equal(sample(fams, 'zonectl_egress_upstream_connect_seconds_count', { route: route.route }), 1);
    assert.equal(sample(fams, 'zonectl_egress_connection_duration_seconds_count', route), 1);
    // The terminating route has its (zero) series from the moment the snapshot is in force.
    assert.equal(sample(fams, 'zonectl_egress_connections_active', { route: 'ext{mesh=mesh-1}', kind: 'terminating', mesh: 'mesh-1' }), 0);

    const clusters = await admin(e, '/clusters');
    assert.match(clusters.body, new RegExp(`^backend\\{mesh=mesh-1\\}::127\\.0\\.0\\.1:${up}::cx_total::1$`, 'm'));
    assert.match(clusters.body, new RegExp(`^backend\\{mesh=mesh-1\\}::127\\.0\\.0\\.1:${up}::health_flags::healthy$`, 'm'));

    const dump = await admin(e, '/config_dump');
    assert.equal(dump.body.includes('PRIVATE KEY'), false, 'no private key in /config_dump');
    const parsed = JSON.parse(dump.body);
    assert.equal(parsed.snapshot.identities[0].keyPem, '[redacted]');
    assert.equal(parsed.snapshot.routes[1].tls.keyPem, '[redacted]');
    assert.equal(parsed.snapshot.identities[0].certPem, m.identity.certPem);

    assert.equal((await admin(e, '/nope')).status, 404);
  });
});

describe('drain', () => {
  test('drain: /ready 503 TERMINATING, no new connections, live ones finish, then it resolves', async (t) => {
    const port = await listen(t, net.createServer((s) => s.on('data', (d: Buffer) => s.write(d.subarray(0, 1)))));
    const e = await egress(t, pass(port), { drainTimeMs: 10_000 });
    const c = await rawConnect(t, e.port);
    c.write(hello());
    await once(c, 'data');
    const adminPort = e.adminPort;
    let drained = false;
    const d = e.drain().then(() => (drained = true));
    const ready = await fetch(`http://127.0.0.1:${adminPort}/ready`);
    assert.equal(ready.status, 503);
    assert.equal(await ready.text(), 'TERMINATING\n');
    // New connections are refused: the listener is closed.
    const refused = net.connect({ host: '127.0.0.1', port: e.port });
    const err = await once(refused, 'error').then(([x]) => (x as NodeJS.ErrnoException).code);
    assert.equal(err, 'ECONNREFUSED');
    // The live connection still works.
    c.write('more');
    await once(c, 'data');
    assert.equal(drained, false);
    c.end();
    await d;
    await until(() => e.stats().routes[SNI].outcomes.closed === 1, 'a clean close, not a forced one');
  });

  test('connections still open when the drain time runs out are closed and counted as drained', async (t) => {
    const up = await plainEcho(t, 'a');
    const e = await egress(t, pass(up), { drainTimeMs: 50 });
    const c = await rawConnect(t, e.port);
    c.write(hello());
    await once(c, 'data');
    const res = closed(c);
    await e.drain();
    await res;
    await until(() => e.stats().routes[SNI]?.outcomes.drained === 1, 'drained to be counted');
  });
});
