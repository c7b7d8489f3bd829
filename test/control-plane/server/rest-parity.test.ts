/**
 * Kuma REST behaviours that kumactl and the GUI rely on (issue 10), through the real server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request, startTestControlPlane } from '../../helpers/cp.js';

type Problem = { status: number; title: string; detail: string; invalid_parameters?: { field: string; reason: string }[] };
const REMOTE = '127.0.0.2';

describe('REST parity with kuma-cp', () => {
  test('pagination, KRI and body decoding errors are Kuma\'s', async (t) => {
    const cp = await startTestControlPlane(t);
    for (const size of ['0', '-3']) {
      const res = await request(`${cp.url}/meshes?size=${size}`);
      assert.equal(res.status, 400);
      assert.deepEqual((res.json as Problem).invalid_parameters, [{ field: 'size', reason: 'must be greater than 0' }]);
    }
    assert.deepEqual((await request(`${cp.url}/meshes?size=abc`)).json && ((await request(`${cp.url}/meshes?size=abc`)).json as Problem).invalid_parameters, [{ field: 'size', reason: 'invalid format' }]);
    const kri = await request(`${cp.url}/_kri/not-a-kri`);
    assert.equal(kri.status, 400);
    assert.deepEqual([(kri.json as Problem).title, (kri.json as Problem).detail], ['Bad Request', 'invalid identifier string: "not-a-kri"']);
    assert.equal((await request(`${cp.url}/_kri/xri_m____default_`)).status, 400);
    assert.equal((await request(`${cp.url}/_kri/kri_m____nope_`)).status, 404);

    const notJson = await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: '{,\n}', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    const p = notJson.json as Problem & Record<string, unknown>;
    assert.equal(p.title, 'Bad Request');
    assert.match(p.detail, /^invalid Mesh object: ".+"$/);
    assert.equal(p.invalid_parameters, undefined);
    const numberName = await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: { type: 'Mesh', name: 4 } });
    assert.deepEqual(numberName.json, {
      type: '/std-errors',
      status: 400,
      title: 'Bad Request',
      detail: 'invalid Mesh object: "json: cannot unmarshal number into Go struct field ResourceMeta.name of type string"',
      details: 'invalid Mesh object: "json: cannot unmarshal number into Go struct field ResourceMeta.name of type string"',
    });
  });

  test('unknown fields are dropped and named in warnings; labels are computed and filterable', async (t) => {
    const cp = await startTestControlPlane(t, { zone: 'zone-1' });
    const put = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: { type: 'ZoneEgress', name: 'ze-1', networking: { address: '10.0.0.1', port: 10002, adress: 'typo' }, color: 'blue' } });
    assert.equal(put.status, 201, put.text);
    assert.deepEqual(put.json, { warnings: ['color: unknown field, ignored', 'networking.adress: unknown field, ignored'] });
    const ze = (await request(`${cp.url}/zoneegresses/ze-1`)).json as Record<string, unknown>;
    assert.deepEqual(ze.networking, { address: '10.0.0.1', port: 10002 });
    assert.equal(ze.color, undefined);
    assert.deepEqual(ze.labels, { 'kuma.io/origin': 'zone', 'kuma.io/zone': 'zone-1', 'kuma.io/env': 'universal', 'kuma.io/proxy-type': 'egress' });

    await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: { type: 'Mesh', name: 'm1' } });
    const es = (name: string, service: string, labels?: Record<string, string>) => ({ type: 'ExternalService', mesh: 'm1', name, tags: { 'kuma.io/service': service, team: 'a' }, networking: { address: `${name}.example.com:443` }, ...(labels ? { labels } : {}) });
    assert.equal((await request(`${cp.url}/meshes/m1/external-services/web`, { method: 'PUT', body: es('web', 'web-svc', { tier: 'front' }) })).status, 201);
    assert.equal((await request(`${cp.url}/meshes/m1/external-services/db`, { method: 'PUT', body: es('db', 'db-svc') })).status, 201);
    const stored = (await request(`${cp.url}/meshes/m1/external-services/web`)).json as { labels: Record<string, string> };
    assert.deepEqual(stored.labels, { tier: 'front', 'kuma.io/mesh': 'm1' });
    const wrongMesh = await request(`${cp.url}/meshes/m1/external-services/x`, { method: 'PUT', body: es('x', 'x', { 'kuma.io/mesh': 'other' }) });
    assert.deepEqual((wrongMesh.json as Problem).invalid_parameters, [{ field: 'labels["kuma.io/mesh"]', reason: 'kuma.io/mesh label must not differ from mesh set on resource' }]);

    const names = async (path: string) => ((await request(`${cp.url}${path}`)).json as { items: { name: string }[] }).items.map((i) => i.name);
    assert.deepEqual(await names('/meshes/m1/external-services?filter[labels.tier]=front'), ['web']);
    assert.deepEqual(await names('/meshes/m1/external-services?filter[labels.kuma.io/mesh]=m1&filter[labels.tier]=front'), ['web']);
    assert.deepEqual(await names('/external-services?filter[labels.kuma.io/mesh]=m1'), ['db', 'web']);
    assert.deepEqual(await names('/zoneegresses?filter[labels.kuma.io/proxy-type]=egress'), ['ze-1']);
    assert.deepEqual(await names('/zoneegresses?filter[labels.kuma.io/proxy-type]=ingress'), []);
    assert.deepEqual(await names('/meshes/m1/external-services?tag=kuma.io/service:db'), ['db']);
    assert.deepEqual(await names('/meshes/m1/external-services?tag=kuma.io/service:svc&tag=team:*'), ['db', 'web']);
    const page = (await request(`${cp.url}/external-services?filter[labels.kuma.io/mesh]=m1&size=1`)).json as { total: number; next: string };
    assert.equal(page.total, 2);
    assert.match(page.next, /offset=1/);
    const bad = await request(`${cp.url}/meshes/m1/external-services?filter[name]=web`);
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.json as Problem).invalid_parameters, [{ field: '/meshes/{mesh}/external-services.filter[name]', reason: 'filters are only supported on labels' }]);
  });

  test('/globalsecrets, ZoneIngress overviews, who-am-i, _resources, config, global-insight, mesh-insights', async (t) => {
    const cp = await startTestControlPlane(t, { zone: 'zone-1' });
    assert.deepEqual((await request(`${cp.url}/globalsecrets/zone-token-signing-key-1`)).status, 200);
    assert.equal(((await request(`${cp.url}/globalsecrets`)).json as { total: number }).total, 1);
    assert.equal((await request(`${cp.url}/globalsecrets`, { localAddress: REMOTE })).status, 403);

    const zi = { type: 'ZoneIngress', name: 'zi-2', zone: 'zone-2', networking: { address: '10.0.2.1', advertisedAddress: '10.0.2.1', port: 10001, advertisedPort: 10001 } };
    assert.equal((await request(`${cp.url}/zoneingresses/zi-2`, { method: 'PUT', body: zi })).status, 201);
    for (const path of ['/zoneingresses/_overview', '/zone-ingresses/_overview', '/zoneingresses+insights']) {
      const list = (await request(`${cp.url}${path}`)).json as { total: number; items: Record<string, unknown>[] };
      assert.equal(list.total, 1, path);
      assert.equal(list.items[0].type, 'ZoneIngressOverview');
      assert.deepEqual(list.items[0].zoneIngressInsight, {});
    }
    for (const path of ['/zoneingresses/zi-2/_overview', '/zone-ingresses/zi-2/_overview', '/zoneingresses+insights/zi-2']) {
      const one = (await request(`${cp.url}${path}`)).json as Record<string, unknown>;
      assert.equal((one.zoneIngress as { zone: string }).zone, 'zone-2', path);
    }
    assert.equal((await request(`${cp.url}/zoneingresses/nope/_overview`)).status, 404);

    assert.deepEqual((await request(`${cp.url}/who-am-i`)).json, { name: 'mesh-system:admin', groups: ['mesh-system:admin', 'mesh-system:authenticated'] });
    assert.deepEqual((await request(`${cp.url}/who-am-i`, { localAddress: REMOTE })).json, { name: 'mesh-system:anonymous', groups: ['mesh-system:unauthenticated'] });

    const kinds = ((await request(`${cp.url}/_resources`)).json as { resources: Record<string, unknown>[] }).resources;
    const secret = kinds.find((k) => k.name === 'GlobalSecret');
    assert.deepEqual(secret, { name: 'GlobalSecret', readOnly: false, path: 'globalsecrets', singularDisplayName: 'Global Secret', pluralDisplayName: 'Global Secrets', scope: 'Global', shortName: '', includeInFederation: true });
    assert.deepEqual(
      kinds.find((k) => k.name === 'ExternalService'),
      { name: 'ExternalService', readOnly: false, path: 'external-services', singularDisplayName: 'External Service', pluralDisplayName: 'External Services', scope: 'Mesh', shortName: '', includeInFederation: true },
    );
    assert.deepEqual(kinds.map((k) => k.name), [...kinds.map((k) => k.name)].sort());

    const denied = await request(`${cp.url}/config`, { localAddress: REMOTE });
    assert.equal(denied.status, 403);
    assert.equal((denied.json as Problem).detail, 'user "mesh-system:anonymous/mesh-system:unauthenticated" cannot access control-plane metadata');
    const config = (await request(`${cp.url}/config`)).json as { zone: string; options: Record<string, unknown> };
    assert.equal(config.zone, 'zone-1');
    assert.doesNotMatch(JSON.stringify(config), /BEGIN|PRIVATE/);
    assert.equal(config.options.dpCaCertFile, '[redacted]');

    await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: { type: 'Mesh', name: 'm1', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } } });
    await request(`${cp.url}/meshes/m1/external-services/a`, { method: 'PUT', body: { type: 'ExternalService', mesh: 'm1', name: 'a', tags: { 'kuma.io/service': 'a' }, networking: { address: 'a.example.com:443' } } });
    await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: { type: 'ZoneEgress', name: 'ze-1', networking: { address: '10.0.0.1', port: 10002 } } });
    const insight = (await request(`${cp.url}/global-insight`)).json as Record<string, Record<string, unknown>>;
    assert.deepEqual(insight.zones, { controlPlanes: { online: 1, total: 1 }, zoneEgresses: { online: 0, total: 1 }, zoneIngresses: { online: 0, total: 1 } });
    assert.deepEqual(insight.meshes, { total: 1 });
    assert.deepEqual(insight.services.external, { total: 1 });
    assert.deepEqual((insight.resources as Record<string, unknown>).ExternalService, { total: 1 });
    assert.deepEqual((insight.resources as Record<string, unknown>).GlobalSecret, { total: 3 }, 'signing key and the mesh CA pair');
    const meshInsights = (await request(`${cp.url}/mesh-insights`)).json as { total: number; items: Record<string, unknown>[] };
    assert.equal(meshInsights.total, 1);
    assert.equal(meshInsights.items[0].type, 'MeshInsight');
    assert.deepEqual(meshInsights.items[0].services, { total: 1, internal: 0, external: 1 });
    assert.deepEqual((meshInsights.items[0].mTLS as { supportedBackends: unknown }).supportedBackends, { builtin: { total: 0, online: 0, offline: 0, partiallyDegraded: 0 } });
    assert.equal(((await request(`${cp.url}/mesh-insights/m1`)).json as { name: string }).name, 'm1');
    assert.equal((await request(`${cp.url}/mesh-insights/nope`)).status, 404);
  });

  test('validation follows Kuma 2.14: tls/mysql protocols, datadog port, builtin CA names with dots', async (t) => {
    const cp = await startTestControlPlane(t);
    const put = (path: string, body: unknown) => request(`${cp.url}${path}`, { method: 'PUT', body });
    assert.equal((await put('/meshes/m1', { type: 'Mesh', name: 'm1', mtls: { enabledBackend: 'ca.1', backends: [{ name: 'ca.1', type: 'builtin' }] } })).status, 201);
    const upper = await put('/meshes/m2', { type: 'Mesh', name: 'm2', mtls: { backends: [{ name: 'CA', type: 'builtin' }] } });
    assert.deepEqual((upper.json as Problem).invalid_parameters, [{ field: 'mtls.backends[0].name', reason: '"CA" name must be valid dns name' }]);
    for (const protocol of ['tls', 'mysql', 'TLS']) {
      const es = { type: 'ExternalService', mesh: 'm1', name: `es-${protocol.toLowerCase()}`, tags: { 'kuma.io/service': 'db', 'kuma.io/protocol': protocol }, networking: { address: 'db.example.com:3306' } };
      const res = await put(`/meshes/m1/external-services/${es.name}`, es);
      assert.ok(res.status === 201 || res.status === 200, `${protocol}: ${res.text}`);
    }
    const datadog = await put('/meshes/m3', { type: 'Mesh', name: 'm3', tracing: { backends: [{ name: 'dd', type: 'datadog', conf: { address: '127.0.0.1' } }] } });
    assert.equal(datadog.status, 400);
    assert.deepEqual((datadog.json as Problem).invalid_parameters, [{ field: 'tracing.backends[0].conf.port', reason: 'port must be in the range [1, 65535]' }]);
  });
});
