import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { before, describe, test } from 'node:test';
import { issueCertificate, type KeyPairPem } from '../../src/core/pki.js';
import type { AccessRecord } from '../../src/egress/access-log-format.js';
import type { LineSinks } from '../../src/egress/lines.js';
import type { EgressAccessLog, EgressPermissions, EgressSnapshot } from '../../src/resources/egress-config.js';
import { admin, closed, egress, listen, meshPki, plainEcho, readN, serverPki, tlsEcho, until, type MeshPki } from './helpers.js';

const EXT = 'httpbin{mesh=mesh-1}';
const REMOTE = 'backend{mesh=mesh-1}';
const DEAD = 'gone{mesh=mesh-1}';
const DAY = 86_400_000;

/** Lines by destination, as the egress's line sinks receive them. */
function capture(): { sinks: LineSinks; lines: Map<string, string[]>; records: (dest: string) => AccessRecord[] } {
  const lines = new Map<string, string[]>();
  const sinks: LineSinks = (dest) => ({
    write: (line) => {
      if (!lines.has(dest)) lines.set(dest, []);
      lines.get(dest)!.push(line);
    },
  });
  return { sinks, lines, records: (dest) => (lines.get(dest) ?? []).map((l) => JSON.parse(l) as AccessRecord) };
}

/** Routes and unrouted connections to separate backends (file paths stand for destinations; the capture receives them). */
const SECTION: EgressAccessLog = {
  backends: [
    { name: 'routes', type: 'file', path: '/logs/routes' },
    { name: 'rejections', type: 'file', path: '/logs/rejections' },
  ],
  routes: [
    { sni: EXT, backends: ['routes'] },
    { sni: REMOTE, backends: ['routes'] },
    { sni: DEAD, backends: ['routes'] },
  ],
  unrouted: ['rejections'],
};

describe('egress access log', () => {
  let m1: MeshPki;
  let web: KeyPairPem;
  let attacker: KeyPairPem;
  let ingress: Awaited<ReturnType<typeof serverPki>>;
  before(async () => {
    [m1, ingress] = await Promise.all([meshPki('mesh-1'), serverPki('ingress')]);
    [web, attacker] = await Promise.all(['web', 'attacker'].map((svc) => issueCertificate({ ca: m1.ca, uris: [`spiffe://mesh-1/${svc}`], usage: 'client', validForMs: DAY })));
  });

  const permissions: EgressPermissions = { routes: [{ sni: EXT, from: [{ policy: 'allow-web', kind: 'MeshService', name: 'web', action: 'Allow' }] }] };
  const snap = (ext: number, remote: number, deadPort: number, accessLog: EgressAccessLog | undefined = SECTION, version = 'v1'): EgressSnapshot => ({
    version,
    identities: [m1.identity],
    routes: [
      { kind: 'terminating', sni: EXT, mesh: 'mesh-1', service: 'httpbin', address: '127.0.0.1', port: ext },
      { kind: 'passthrough', sni: REMOTE, mesh: 'mesh-1', service: 'backend', endpoints: [{ address: '127.0.0.1', port: remote, weight: 1 }] },
      { kind: 'passthrough', sni: DEAD, mesh: 'mesh-1', service: 'gone', endpoints: [{ address: '127.0.0.1', port: deadPort, weight: 1 }] },
    ],
    permissions,
    ...(accessLog ? { accessLog } : {}),
  });

  async function setup(t: test.TestContext, opts: Parameters<typeof egress>[2] = {}, accessLog?: EgressAccessLog) {
    const ext = await plainEcho(t, 'ext');
    const remote = (await tlsEcho(t, 'ing', { cert: ingress.server.certPem, key: ingress.server.keyPem })).port;
    const dead = net.createServer();
    const deadPort = await listen(t, dead);
    dead.close();
    const cap = capture();
    const e = await egress(t, snap(ext, remote, deadPort, accessLog), { name: 'egress-1', lines: cap.sinks, ...opts });
    return { e, ext, remote, deadPort, cap };
  }

  const mesh = (port: number, cert: KeyPairPem | undefined, servername = EXT, ca = m1.ca.certPem) => {
    const c = tls.connect({ host: '127.0.0.1', port, servername, ca, cert: cert?.certPem, key: cert?.keyPem, checkServerIdentity: () => undefined });
    c.on('error', () => {});
    return c;
  };

  const near = (iso: string, before: number) => {
    const at = Date.parse(iso);
    assert.ok(at >= before - 5 && at <= Date.now(), `time ${iso} is when the connection was accepted`);
  };

  test('a terminated connection: identity, TLS version, upstream, bytes each way, permission', async (t) => {
    const { e, ext, cap } = await setup(t);
    const t0 = Date.now();
    const c = mesh(e.port, web);
    const end = closed(c);
    await once(c, 'secureConnect');
    const local = `${c.localAddress}:${c.localPort}`;
    c.write('ping');
    assert.equal(await readN(c, 'ext:ping'.length), 'ext:ping');
    c.end();
    await end;
    await until(() => cap.records('/logs/routes').length === 1, 'the access log line');
    const [r] = cap.records('/logs/routes');
    assert.deepEqual(Object.keys(r), ['time', 'egress', 'mesh', 'route', 'sni', 'client', 'identity', 'upstream', 'bytesIn', 'bytesOut', 'durationMs', 'tls', 'close', 'permission']);
    near(r.time, t0);
    assert.deepEqual(
      { ...r, time: '', durationMs: 0 },
      {
        time: '',
        egress: 'egress-1',
        mesh: 'mesh-1',
        route: 'terminating',
        sni: EXT,
        client: local,
        identity: 'spiffe://mesh-1/web',
        upstream: `127.0.0.1:${ext}`,
        bytesIn: 4,
        bytesOut: 8,
        durationMs: 0,
        tls: 'TLSv1.3',
        close: 'closed',
        permission: { action: 'allow', policy: 'allow-web' },
      },
    );
    assert.ok(r.durationMs > 0 && r.durationMs < 5000);
    assert.equal(cap.lines.get('/logs/rejections'), undefined, 'a finished connection is not a rejection');
  });

  test('a passthrough connection: the zone ingress it went to, TLS bytes both ways, no identity', async (t) => {
    const { e, remote, cap } = await setup(t);
    const c = tls.connect({ host: '127.0.0.1', port: e.port, servername: REMOTE, ca: ingress.ca.certPem, checkServerIdentity: () => undefined });
    c.on('error', () => {});
    const end = closed(c);
    await once(c, 'secureConnect');
    const local = `${c.localAddress}:${c.localPort}`;
    c.write('ping');
    await readN(c, 'ing:ping'.length);
    c.end();
    await end;
    await until(() => cap.records('/logs/routes').length === 1, 'the access log line');
    const [r] = cap.records('/logs/routes');
    const counters = e.stats().routes[REMOTE];
    assert.deepEqual(
      { route: r.route, sni: r.sni, mesh: r.mesh, client: r.client, identity: r.identity, upstream: r.upstream, tls: r.tls, close: r.close, permission: r.permission },
      { route: 'passthrough', sni: REMOTE, mesh: 'mesh-1', client: local, identity: null, upstream: `127.0.0.1:${remote}`, tls: null, close: 'closed', permission: null },
    );
    assert.ok(r.bytesIn > 200 && r.bytesOut > 200, 'the TLS handshake and records, counted as relayed');
    assert.deepEqual([r.bytesIn, r.bytesOut], [counters.bytesIn, counters.bytesOut], 'the same bytes as the route counters');
  });

  test('every rejection reason and failure is logged, with what is known at that point', async (t) => {
    const { e, deadPort, cap } = await setup(t, { clientHelloTimeoutMs: 200 });
    const other = await meshPki('mesh-1');
    const run = async (c: net.Socket) => {
      c.on('error', () => {});
      await closed(c);
    };
    const raw = () => net.connect({ host: '127.0.0.1', port: e.port });
    // not TLS
    const notTls = raw();
    notTls.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await run(notTls);
    // no SNI (an IP as host: node sends none), unknown SNI
    await run(tls.connect({ host: '127.0.0.1', port: e.port, rejectUnauthorized: false }));
    await run(tls.connect({ host: '127.0.0.1', port: e.port, servername: 'nobody{mesh=mesh-1}', rejectUnauthorized: false }));
    // a client certificate of another CA, a client without one, a denied client
    await run(mesh(e.port, other.client));
    await run(mesh(e.port, undefined));
    const denied = mesh(e.port, attacker);
    await once(denied, 'secureConnect');
    await run(denied);
    // a ClientHello that never comes
    const silent = raw();
    await once(silent, 'connect');
    await run(silent);
    // an upstream that refuses
    await run(tls.connect({ host: '127.0.0.1', port: e.port, servername: DEAD, rejectUnauthorized: false }));

    await until(() => (cap.lines.get('/logs/rejections')?.length ?? 0) === 4 && (cap.lines.get('/logs/routes')?.length ?? 0) === 4, 'every line');
    const rejections = cap.records('/logs/rejections');
    assert.deepEqual(
      rejections.map((r) => [r.close, r.sni, r.route, r.mesh, r.upstream, r.bytesIn, r.egress]),
      [
        ['not-tls', null, null, null, null, 0, 'egress-1'],
        ['no-sni', null, null, null, null, 0, 'egress-1'],
        ['unknown-sni', 'nobody{mesh=mesh-1}', null, null, null, 0, 'egress-1'],
        ['timeout', null, null, null, null, 0, 'egress-1'],
      ],
    );
    for (const r of rejections) assert.match(r.client, /^127\.0\.0\.1:\d+$/);
    const routed = cap.records('/logs/routes');
    assert.deepEqual(
      routed.map((r) => [r.close, r.sni, r.route, r.identity, r.permission, r.upstream]),
      [
        ['client-cert', EXT, 'terminating', null, null, null],
        ['client-cert', EXT, 'terminating', null, null, null],
        ['denied', EXT, 'terminating', 'spiffe://mesh-1/attacker', { action: 'deny', policy: null }, null],
        ['upstream-connect-failed', DEAD, 'passthrough', null, null, `127.0.0.1:${deadPort}`],
      ],
    );
    assert.equal(routed[2].tls, 'TLSv1.3');
  });

  test('a policy change that closes an open connection logs it as revoked, with the deciding policy', async (t) => {
    const { e, ext, remote, deadPort, cap } = await setup(t);
    const c = mesh(e.port, web);
    const end = closed(c);
    await once(c, 'secureConnect');
    c.write('ping');
    await readN(c, 'ext:ping'.length);
    const deny: EgressPermissions = { routes: [{ sni: EXT, from: [{ policy: 'deny-all', kind: 'Mesh', action: 'Deny' }] }] };
    assert.equal(e.applySnapshot({ ...snap(ext, remote, deadPort), version: 'v2', permissions: deny }).ok, true);
    await end;
    await until(() => cap.records('/logs/routes').length === 1, 'the access log line');
    const [r] = cap.records('/logs/routes');
    assert.deepEqual([r.close, r.permission, r.bytesIn], ['revoked', { action: 'deny', policy: 'deny-all' }, 4]);
  });

  test('a client reset logs error, a truncated ClientHello malformed, the end of the drain time drained', async (t) => {
    const { e, cap } = await setup(t, { drainTimeMs: 100 });
    const rawSock = net.connect({ host: '127.0.0.1', port: e.port });
    rawSock.on('error', () => {});
    const reset = tls.connect({ socket: rawSock, servername: REMOTE, rejectUnauthorized: false });
    reset.on('error', () => {});
    await once(reset, 'secureConnect');
    rawSock.resetAndDestroy();
    const truncated = net.connect({ host: '127.0.0.1', port: e.port });
    truncated.on('error', () => {});
    truncated.end(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40, 0x01]));
    await closed(truncated);
    await until(() => cap.records('/logs/routes').length === 1 && cap.lines.has('/logs/rejections'), 'the reset and the truncated hello');
    const held = mesh(e.port, web);
    const end = closed(held);
    await once(held, 'secureConnect');
    await e.drain();
    await end;
    await until(() => cap.records('/logs/routes').length === 2, 'the drained line');
    assert.deepEqual(
      cap.records('/logs/routes').map((r) => [r.close, r.sni]),
      [
        ['error', REMOTE],
        ['drained', EXT],
      ],
    );
    assert.deepEqual(
      cap.records('/logs/rejections').map((r) => r.close),
      ['malformed'],
    );
  });

  test('rejections are rate-limited per reason; a summary line and the metric say how many were dropped', async (t) => {
    const { e, cap } = await setup(t, { accessLogLimit: { perSecond: 1, burst: 3 } });
    for (let i = 0; i < 10; i++) {
      const c = net.connect({ host: '127.0.0.1', port: e.port });
      c.on('error', () => {});
      c.write('not tls at all\r\n');
      await closed(c);
    }
    await until(() => e.stats().rejected['not-tls'] === 10, 'ten rejections');
    await until(() => (cap.lines.get('/logs/rejections') ?? []).some((l) => l.includes('"dropped"')), 'the drop summary', 3000);
    const lines = cap.records('/logs/rejections') as unknown as Array<Record<string, unknown>>;
    const logged = lines.filter((l) => l.dropped === undefined);
    const summary = lines.find((l) => l.dropped !== undefined)!;
    assert.ok(logged.length >= 3 && logged.length <= 4, `the burst, maybe one more refilled: ${logged.length}`);
    assert.equal(summary.dropped, 10 - logged.length);
    assert.equal(summary.close, 'not-tls');
    assert.match(String(summary.message), /rejected connections \(not-tls\) not logged: over 1 lines\/s/);
    const prom = (await admin(e, '/stats/prometheus')).body;
    assert.match(prom, new RegExp(`zonectl_egress_access_log_dropped_total\\{backend="rejections",reason="rate-limit"\\} ${10 - logged.length}\\n`));
  });

  test('Kuma formats: Plain with Envoy operators, Json with typed values; a route without backends logs nothing', async (t) => {
    const section: EgressAccessLog = {
      backends: [
        { name: 'plain', type: 'file', path: '/logs/plain', format: { type: 'Plain', plain: '[%START_TIME%] %KUMA_MESH% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%(%KUMA_SOURCE_SERVICE%)->%UPSTREAM_HOST%(%KUMA_DESTINATION_SERVICE%) %SNI% flags=%RESPONSE_FLAGS% code=%RESPONSE_CODE% sent=%BYTES_SENT% received=%BYTES_RECEIVED%' } },
        {
          name: 'json',
          type: 'file',
          path: '/logs/json',
          format: {
            type: 'Json',
            json: [
              { key: 'sni', value: '%REQUESTED_SERVER_NAME%' },
              { key: 'received', value: '%BYTES_RECEIVED%' },
              { key: 'tls', value: '%DOWNSTREAM_TLS_VERSION%' },
              { key: 'peer', value: '%DOWNSTREAM_PEER_URI_SAN%' },
              { key: 'flags', value: '%RESPONSE_FLAGS%' },
            ],
            omitEmptyValues: true,
          },
        },
      ],
      routes: [{ sni: EXT, backends: ['plain', 'json'] }],
      unrouted: [],
    };
    const { e, ext, cap } = await setup(t, {}, section);
    const c = mesh(e.port, web);
    const end = closed(c);
    await once(c, 'secureConnect');
    c.write('ping');
    await readN(c, 'ext:ping'.length);
    c.end();
    await end;
    await until(() => cap.lines.has('/logs/plain') && cap.lines.has('/logs/json'), 'both lines');
    assert.match(cap.lines.get('/logs/plain')![0], new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\] mesh-1 127\\.0\\.0\\.1\\(web\\)->127\\.0\\.0\\.1:${ext}\\(httpbin\\) httpbin\\{mesh=mesh-1\\} flags=- code=- sent=8 received=4$`));
    assert.deepEqual(JSON.parse(cap.lines.get('/logs/json')![0]), { sni: EXT, received: 4, tls: 'TLSv1.3', peer: 'spiffe://mesh-1/web' });
    // REMOTE has no backend in this section: its connections are not logged at all.
    const p = tls.connect({ host: '127.0.0.1', port: e.port, servername: REMOTE, rejectUnauthorized: false });
    p.on('error', () => {});
    await once(p, 'secureConnect');
    p.end();
    await closed(p);
    await until(() => e.stats().routes[REMOTE]?.outcomes.closed === 1, 'the passthrough connection to end');
    assert.deepEqual([cap.lines.get('/logs/plain')!.length, cap.lines.get('/logs/json')!.length], [1, 1]);
  });

  test('an access log section naming a backend that does not exist is rejected, the previous one stays', async (t) => {
    const { e, ext, remote, deadPort } = await setup(t);
    const bad = snap(ext, remote, deadPort, { backends: [{ name: 'a', type: 'tcp', address: 'nowhere' }], routes: [{ sni: EXT, backends: ['b'] }], unrouted: [] }, 'v2');
    const res = e.applySnapshot(bad);
    assert.equal(res.ok, false);
    assert.equal(!res.ok && res.reason, 'accessLog.backends[0].address: must be host:port; accessLog.routes[0].backends[0]: no backend named "b" (add it under accessLog.backends)');
    assert.equal(e.snapshot()?.version, 'v1');
  });
});

test('the default line is exactly JSON.stringify of the record, for awkward values too', async () => {
  const { renderDefault } = await import('../../src/egress/access-log-format.js');
  const base: AccessRecord = { time: '2026-11-27T18:00:00.123Z', egress: 'egress-1', mesh: 'mesh-1', route: 'passthrough', sni: REMOTE, client: '127.0.0.1:40000', identity: null, upstream: '10.0.0.1:10001', bytesIn: 517, bytesOut: 1, durationMs: 0, tls: null, close: 'closed', permission: null };
  const durations = [0, 0.001, 0.01, 0.1, 0.047, 0.5, 1, 1.5, 12.25, 12.345, 99.999, 1000, 3600000, 86400000.001, 0.0005, 1e-7];
  const variants: Array<Partial<AccessRecord>> = [
    ...durations.map((durationMs) => ({ durationMs })),
    { sni: 'we"ird\\sni{mesh=m}', egress: 'é-egress', upstream: 'h\u0001st:1' },
    { client: '[::1]:5000', mesh: null, route: null, sni: null, upstream: null, close: 'no-sni' },
    { route: 'terminating', identity: 'spiffe://mesh-1/client', tls: 'TLSv1.3', permission: { action: 'Allow', policy: 'mtp-1' } },
    { permission: { action: 'Deny', policy: null }, close: 'denied', bytesIn: 0, bytesOut: 0 },
  ];
  for (const v of variants) {
    const r = { ...base, ...v, durationMs: Math.round((v.durationMs ?? 0) * 1000) / 1000 };
    assert.equal(renderDefault(r), JSON.stringify(r), JSON.stringify(v));
  }
});
