import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EgressConfigSource } from '../../../src/control-plane/egress-config/from-store.js';
import { hashedName } from '../../../src/resources/multizone-protocol.js';
import { request } from '../../helpers/cp.js';
import { getJson, MESH, mintToken, put, startGlobal, startZone, until } from './harness.js';

const INGRESS = {
  type: 'ZoneIngress',
  name: 'ingress-1',
  networking: { address: '127.0.0.1', port: 10001, advertisedAddress: '192.0.2.20', advertisedPort: 10001 },
  availableServices: [{ mesh: 'default', instances: 2, tags: { 'kuma.io/service': 'backend' } }],
};

describe('zone sync: a global and two zones in one process', () => {
  test('global resources reach every zone, a zone ingress reaches the other zone, and zone-1 routes to it', async (t) => {
    const global = await startGlobal(t);
    const [z1, z2] = await Promise.all([startZone(t, global, 'zone-1'), startZone(t, global, 'zone-2')]);

    assert.equal((await put(global, '/meshes/default', MESH)).status, 201);
    const es = { type: 'ExternalService', mesh: 'default', name: 'httpbin', tags: { 'kuma.io/service': 'httpbin' }, networking: { address: '127.0.0.1:8080' } };
    assert.equal((await put(global, '/meshes/default/external-services/httpbin', es)).status, 201);
    for (const zone of [z1, z2]) {
      const mesh = await until('mesh in zone', async () => ((await getJson(`${zone.url}/meshes/default`)).status === 200 ? (await getJson(`${zone.url}/meshes/default`)).body : undefined));
      assert.deepEqual(mesh.labels, { 'kuma.io/origin': 'global' });
      await until('external service in zone', async () => (await getJson(`${zone.url}/meshes/default/external-services/httpbin`)).status === 200);
      // One CA per mesh: the zone holds the global's CA, it does not make its own.
      const ca = await until('mesh CA in zone', async () => {
        const r = await getJson(`${zone.url}/global-secrets/default.ca-builtin-cert-ca-1`);
        return r.status === 200 ? r.body : undefined;
      });
      assert.equal(ca.data, (await getJson(`${global.url}/global-secrets/default.ca-builtin-cert-ca-1`)).body.data);
      // The token signing key reaches zones as its public key only.
      assert.equal((await getJson(`${zone.url}/global-secrets/zone-token-signing-key-1`)).status, 404);
      const pub = await until('signing public key in zone', async () => {
        const r = await getJson(`${zone.url}/global-secrets/zone-token-signing-public-key-1`);
        return r.status === 200 ? r.body : undefined;
      });
      assert.match(Buffer.from(String(pub.data), 'base64').toString(), /^-----BEGIN RSA PUBLIC KEY-----/);
    }

    const started = Date.now();
    assert.equal((await put(z2, '/zoneingresses/ingress-1', INGRESS)).status, 201);
    const remote = await until('zone-2 ingress in zone-1', async () => {
      const list = (await getJson(`${z1.url}/zoneingresses`)).body.items as Record<string, unknown>[];
      return list.find((i) => (i.labels as Record<string, string>)['kuma.io/zone'] === 'zone-2');
    });
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.equal(remote.name, hashedName('', 'ingress-1', 'zone-2'));
    assert.equal(remote.zone, 'zone-2');
    assert.deepEqual(remote.labels, { 'kuma.io/origin': 'global', 'kuma.io/zone': 'zone-2', 'kuma.io/env': 'universal', 'kuma.io/proxy-type': 'ingress', 'kuma.io/display-name': 'ingress-1' });
    // zone-2 does not get its own ingress back.
    assert.equal(((await getJson(`${z2.url}/zoneingresses`)).body.items as unknown[]).length, 1);
    // The global holds it under Kuma's hashed name, labelled with its zone.
    const atGlobal = (await getJson(`${global.url}/zoneingresses/${hashedName('', 'ingress-1', 'zone-2')}`)).body;
    assert.deepEqual(atGlobal.labels, { 'kuma.io/origin': 'zone', 'kuma.io/zone': 'zone-2', 'kuma.io/env': 'universal', 'kuma.io/proxy-type': 'ingress', 'kuma.io/display-name': 'ingress-1' });

    const { snapshot } = await new EgressConfigSource({ store: z1.store, zone: 'zone-1', createMeshCa: false }).compute();
    const route = snapshot.routes.find((r) => r.sni === 'backend{mesh=default}');
    assert.deepEqual(route && route.kind === 'passthrough' ? route.endpoints : undefined, [{ address: '192.0.2.20', port: 10001, weight: 2, zone: 'zone-2' }]);

    // A delete on the global reaches the zones.
    assert.equal((await request(`${global.url}/meshes/default/external-services/httpbin`, { method: 'DELETE' })).status, 200);
    await until('external service gone from zone-1', async () => (await getJson(`${z1.url}/meshes/default/external-services/httpbin`)).status === 404);
  });

  test('ownership: global resources are read-only on a zone, zone resources on the global; zones mint no tokens', async (t) => {
    const global = await startGlobal(t);
    const zone = await startZone(t, global, 'zone-1');
    const onZone = await put(zone, '/meshes/other', { ...MESH, name: 'other' });
    assert.equal(onZone.status, 405);
    assert.equal(
      onZone.body.detail,
      "On zone control plane you can only modify zone resources with 'kumactl apply' or via the HTTP API. You can still use 'kumactl' or the HTTP API to modify the rest of the resource on the global control plane.",
    );
    const onGlobal = await put(global, '/zoneingresses/ingress-1', INGRESS);
    assert.equal(onGlobal.status, 405);
    assert.match(String(onGlobal.body.detail), /^On global control plane you can not modify dataplane resources/);
    const mint = await request(`${zone.url}/tokens/zone`, { method: 'POST', body: { zone: 'zone-1', scope: ['egress'], validFor: '1h' } });
    assert.equal(mint.status, 400);
    assert.equal(
      (mint.json as { detail: string }).detail,
      "issuing tokens using the control plane is disabled. This is the zone control plane of zone zone-1 in a multizone deployment: zone tokens are minted on the global control plane. Run 'zonectl generate zone-token --zone zone-1 --scope egress --valid-for 720h' against the global",
    );
    // An egress token minted on the global verifies on the zone (public key synced).
    const egressToken = await mintToken(t, global, 'zone-1', ['egress']);
    const { readFileSync } = await import('node:fs');
    const verdict = await request(`${zone.url}/tokens/zone/verify`, { method: 'POST', body: { token: readFileSync(egressToken, 'utf8'), scope: 'egress' } });
    assert.equal((verdict.json as { valid: boolean }).valid, true);
  });

  test('zones are refused with a token of another zone, and while another zone CP holds the name', async (t) => {
    const global = await startGlobal(t);
    await startZone(t, global, 'zone-1');
    const wrongToken = await mintToken(t, global, 'zone-1', ['cp']);
    const impostor = await startZone(t, global, 'zone-3', { tokenFile: wrongToken, wait: false });
    await until('zone-mismatch error', async () => impostor.sync.lastError?.includes('zone from requestor: zone-3 is different than in token: zone-1'));
    const egressOnly = await mintToken(t, global, 'zone-4', ['egress']);
    const noScope = await startZone(t, global, 'zone-4', { tokenFile: egressOnly, wait: false });
    await until('scope error', async () => noScope.sync.lastError?.includes("cp is out of token's scope: [egress]"));
    const twin = await startZone(t, global, 'zone-1', { wait: false });
    await until('duplicate zone refused', async () => twin.sync.lastError?.startsWith('zone zone-1 is already connected to this global control plane'));

    const overview = await getJson(`${global.url}/zones/_overview`);
    const names = (overview.body.items as { name: string }[]).map((i) => i.name);
    assert.deepEqual(names, ['zone-1']);
  });
});
