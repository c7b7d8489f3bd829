import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import { before, describe, test } from 'node:test';
import { issueCertificate, type KeyPairPem } from '../../src/core/pki.js';
import { RouteAuthz } from '../../src/egress/permissions.js';
import type { EgressPermissions, EgressSnapshot } from '../../src/resources/egress-config.js';
import { admin, closed, egress, meshPki, plainEcho, readN, type MeshPki } from './helpers.js';

const SNI = 'httpbin{mesh=mesh-1}';
const OTHER = 'other{mesh=mesh-1}';
const DAY = 86_400_000;

describe('MeshTrafficPermission on the egress', () => {
  let m1: MeshPki;
  let web: KeyPairPem;
  let attacker: KeyPairPem;
  before(async () => {
    m1 = await meshPki('mesh-1');
    [web, attacker] = await Promise.all(
      [['web', 'v1'], ['attacker', 'v2']].map(([svc, version]) =>
        issueCertificate({ ca: m1.ca, uris: [`spiffe://mesh-1/${svc}`, `kuma://kuma.io/zone/zone-1`, `kuma://version/${version}`], usage: 'client', validForMs: DAY }),
      ),
    );
  });

  const snap = (ext: number, permissions: EgressPermissions | undefined, version = 'v1'): EgressSnapshot => ({
    version,
    identities: [m1.identity],
    routes: [
      { kind: 'terminating', sni: SNI, mesh: 'mesh-1', service: 'httpbin', address: '127.0.0.1', port: ext },
      { kind: 'terminating', sni: OTHER, mesh: 'mesh-1', service: 'other', address: '127.0.0.1', port: ext },
    ],
    ...(permissions ? { permissions } : {}),
  });
  const onlyWeb: EgressPermissions = { routes: [{ sni: SNI, from: [{ policy: 'allow-web', kind: 'MeshService', name: 'web', action: 'Allow' }] }] };

  const connect = (port: number, cert: KeyPairPem, servername = SNI) => {
    const c = tls.connect({ host: '127.0.0.1', port, servername, ca: m1.ca.certPem, cert: cert.certPem, key: cert.keyPem, checkServerIdentity: () => undefined });
    c.on('error', () => {});
    return c;
  };

  /** Connects, says hello, returns what came back before the egress closed (or the echo). */
  async function exchange(port: number, cert: KeyPairPem, servername = SNI): Promise<{ echoed: string; ended: { bytes: number; error?: string } | undefined }> {
    const c = connect(port, cert, servername);
    const end = closed(c);
    await once(c, 'secureConnect');
    c.write('ping');
    const echoed = await readN(c, 'ext:ping'.length).catch(() => '');
    c.end();
    const ended = await end;
    return { echoed, ended };
  }

  test('a policy allowing only web: web reaches the service, attacker is closed after the handshake and counted', async (t) => {
    const ext = await plainEcho(t, 'ext');
    const e = await egress(t, snap(ext, onlyWeb));
    assert.equal((await exchange(e.port, web)).echoed, 'ext:ping');
    const denied = await exchange(e.port, attacker);
    assert.equal(denied.echoed, '', 'no byte of the external service reaches a denied client');
    assert.equal(e.stats().rejected.denied, 1);
    assert.equal(e.metrics.decisions.get(SNI)?.allow, 1);
    assert.equal(e.metrics.decisions.get(SNI)?.deny, 1);
    const prom = (await admin(e, '/stats/prometheus')).body;
    assert.match(prom, /zonectl_egress_permission_decisions_total\{route="httpbin\{mesh=mesh-1\}",action="deny"\} 1/);
    assert.match(prom, /zonectl_egress_rejected_connections_total\{reason="denied"\} 1/);
  });

  test('the default with mTLS: a route no policy selects denies every client; no permissions section allows all', async (t) => {
    const ext = await plainEcho(t, 'ext');
    const e = await egress(t, snap(ext, onlyWeb));
    assert.equal((await exchange(e.port, web, OTHER)).echoed, '', 'OTHER has no MeshTrafficPermission: denied');
    assert.equal(e.stats().rejected.denied, 1);
    const open = await egress(t, snap(ext, undefined));
    assert.equal((await exchange(open.port, attacker, OTHER)).echoed, 'ext:ping');
  });

  test('AllowWithShadowDeny lets the client through and counts a shadow denial', async (t) => {
    const ext = await plainEcho(t, 'ext');
    const e = await egress(t, snap(ext, { routes: [{ sni: SNI, from: [{ policy: 'shadow', kind: 'Mesh', action: 'AllowWithShadowDeny' }] }] }));
    assert.equal((await exchange(e.port, attacker)).echoed, 'ext:ping');
    assert.equal(e.metrics.decisions.get(SNI)?.['shadow-deny'], 1);
    assert.equal(e.stats().rejected.denied, 0);
  });

  test('rules form: deny by SPIFFE ID wins over allow by SNI', async (t) => {
    const ext = await plainEcho(t, 'ext');
    const e = await egress(
      t,
      snap(ext, {
        routes: [{ sni: SNI, rules: { deny: [{ policy: 'p', spiffeId: { type: 'Exact', value: 'spiffe://mesh-1/attacker' } }], allow: [{ policy: 'p', sni: SNI }] } }],
      }),
    );
    assert.equal((await exchange(e.port, web)).echoed, 'ext:ping');
    assert.equal((await exchange(e.port, attacker)).echoed, '');
  });

  test('a policy change closes an open connection it now denies, and keeps the allowed one', async (t) => {
    const ext = await plainEcho(t, 'ext');
    const allowAll: EgressPermissions = { routes: [{ sni: SNI, from: [{ policy: 'all', kind: 'Mesh', action: 'Allow' }] }] };
    const e = await egress(t, snap(ext, allowAll));
    const a = connect(e.port, attacker);
    const w = connect(e.port, web);
    t.after(() => (a.destroy(), w.destroy()));
    const aClosed = closed(a);
    await Promise.all([once(a, 'secureConnect'), once(w, 'secureConnect')]);
    a.write('one');
    w.write('one');
    assert.equal(await readN(a, 'ext:one'.length), 'ext:one');
    assert.equal(await readN(w, 'ext:one'.length), 'ext:one');
    const res = e.applySnapshot(snap(ext, onlyWeb, 'v2'));
    assert.equal(res.ok, true);
    await aClosed;
    assert.equal(e.metrics.decisions.get(SNI)?.revoked, 1);
    w.write('two');
    assert.equal(await readN(w, 'two'.length), 'two', 'the allowed connection still relays');
  });

  test('a permissions entry for an unknown route rejects the snapshot', async (t) => {
    const ext = await plainEcho(t, 'ext');
    const e = await egress(t, snap(ext, onlyWeb));
    const res = e.applySnapshot(snap(ext, { routes: [{ sni: 'nope{mesh=mesh-1}', from: [] }] }, 'v2'));
    assert.equal(res.ok, false);
    assert.match(res.ok ? '' : res.reason, /permissions\.routes\[0\]\.sni: no terminating route has SNI 'nope\{mesh=mesh-1\}'/);
  });
});

describe('RouteAuthz (Kuma merge order: the last entry that selects the client wins)', () => {
  const san = (svc: string, ...tags: string[]) => [`URI:spiffe://m/${svc}`, ...tags.map((t) => `URI:kuma://${t}`)].join(', ');
  const authz = (from: NonNullable<EgressPermissions['routes'][0]['from']>) => new RouteAuthz('s{mesh=m}', 'm', { sni: 's{mesh=m}', from }, true);

  test('a later, more specific entry overrides the mesh-wide one', () => {
    const a = authz([
      { policy: 'mesh', kind: 'Mesh', action: 'Deny' },
      { policy: 'web', kind: 'MeshService', name: 'web', action: 'Allow' },
    ]);
    assert.equal(a.decide(san('web')).action, 'allow');
    assert.equal(a.decide(san('web')).policy, 'web');
    assert.equal(a.decide(san('db')).action, 'deny');
    assert.equal(a.decide(san('db')).policy, 'mesh');
  });

  test('MeshSubset and MeshServiceSubset match kuma:// tag SANs; * matches any value', () => {
    const a = authz([
      { policy: 'v1', kind: 'MeshSubset', tags: { version: 'v1' }, action: 'Allow' },
      { policy: 'web-zone', kind: 'MeshServiceSubset', name: 'web', tags: { 'kuma.io/zone': '*' }, action: 'AllowWithShadowDeny' },
    ]);
    assert.equal(a.decide(san('db', 'version/v1')).action, 'allow');
    assert.equal(a.decide(san('db', 'version/v2')).action, 'deny');
    assert.equal(a.decide(san('web', 'version/v1', 'kuma.io/zone/z1')).action, 'shadow-deny');
    assert.equal(a.decide(undefined).action, 'deny');
  });

  test('no entry selects the client: deny, with the reason', () => {
    const d = authz([{ policy: 'web', kind: 'MeshService', name: 'web', action: 'Allow' }]).decide(san('db'));
    assert.deepEqual(d, { action: 'deny', policy: undefined, reason: 'no MeshTrafficPermission entry selects this client' });
  });
});
