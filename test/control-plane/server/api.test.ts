/**
 * The REST API beyond Kuma's goldens: pagination and filters, versions (ETag/If-Match), the mesh
 * rules, read-only views, and robustness against malformed requests. Real server, port 0.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { request, startTestControlPlane } from '../../helpers/cp.js';

const ze = (name: string, port = 10001) => ({ type: 'ZoneEgress', name, zone: 'zone-1', networking: { address: '10.0.0.1', port } });
const es = (mesh: string, name: string) => ({ type: 'ExternalService', mesh, name, networking: { address: `${name}.example.com:443` }, tags: { 'kuma.io/service': name } });

describe('control-plane API', () => {
  test('GET / identifies the control plane', async (t) => {
    const cp = await startTestControlPlane(t, { zone: 'zone-7' });
    const res = await request(`${cp.url}/`);
    assert.equal(res.status, 200);
    const body = res.json as Record<string, string>;
    assert.equal(body.product, 'zonectl');
    assert.equal(body.instanceId, cp.instance.instanceId);
    assert.equal(body.clusterId, cp.instance.clusterId);
    assert.match(body.clusterId, /^[0-9a-f-]{36}$/);
    assert.equal(typeof body.hostname, 'string');
    assert.match(body.version, /^\d+\.\d+\.\d+/);
  });

  test('PUT creates (201) then updates (200); GET returns the flat resource with server timestamps and kri', async (t) => {
    const cp = await startTestControlPlane(t, { clock: '2019-07-17T18:08:41Z' });
    const created = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: { ...ze('ze-1'), creationTime: '2000-01-01T00:00:00Z' } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json, {});
    assert.equal(created.headers.etag, '"1"');
    const updated = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: ze('ze-1', 10002) });
    assert.equal(updated.status, 200);
    assert.equal(updated.headers.etag, '"2"');
    const got = await request(`${cp.url}/zoneegresses/ze-1`);
    assert.deepEqual(got.json, {
      type: 'ZoneEgress',
      name: 'ze-1',
      creationTime: '2019-07-17T18:08:41Z',
      modificationTime: '2019-07-17T18:08:41Z',
      kri: 'kri_ze____ze-1_',
      labels: { 'kuma.io/proxy-type': 'egress' },
      zone: 'zone-1',
      networking: { address: '10.0.0.1', port: 10002 },
    });
    assert.equal(got.headers.etag, '"2"');
  });

  test('If-Match guards PUT and DELETE: a stale version answers 412 and changes nothing', async (t) => {
    const cp = await startTestControlPlane(t);
    await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: ze('ze-1') });
    const first = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: ze('ze-1', 2), headers: { 'if-match': '"1"' } });
    assert.equal(first.status, 200);
    const stale = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: ze('ze-1', 3), headers: { 'if-match': '"1"' } });
    assert.equal(stale.status, 412);
    const p = stale.json as Record<string, string>;
    assert.equal(p.title, 'Could not process a resource');
    assert.match(p.detail, /changed by someone else: it is at version 2, not 1/);
    assert.equal(((await request(`${cp.url}/zoneegresses/ze-1`)).json as { networking: { port: number } }).networking.port, 2);
    const staleDelete = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'DELETE', headers: { 'if-match': '1' } });
    assert.equal(staleDelete.status, 412);
    const del = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'DELETE', headers: { 'if-match': 'W/"2"' } });
    assert.equal(del.status, 200);
    assert.deepEqual(del.json, {});
    const createGuarded = await request(`${cp.url}/zoneegresses/ze-9`, { method: 'PUT', body: ze('ze-9'), headers: { 'if-match': '"1"' } });
    assert.equal(createGuarded.status, 412, 'a version cannot match a resource that does not exist');
  });

  test('lists page with size/offset, filter by name substring, and link the next page absolutely', async (t) => {
    const cp = await startTestControlPlane(t);
    for (let i = 0; i < 25; i++) await cp.store.create(ze(`egress-${String(i).padStart(2, '0')}`));
    await cp.store.create(ze('other'));
    const def = (await request(`${cp.url}/zoneegresses`)).json as { total: number; items: { name: string }[]; next: string | null };
    assert.equal(def.total, 26);
    assert.equal(def.items.length, 26);
    assert.equal(def.next, null);
    const page = (await request(`${cp.url}/zoneegresses?size=10&offset=10&name=egress-`)).json as typeof def;
    assert.equal(page.total, 25);
    assert.deepEqual(page.items.map((i) => i.name), Array.from({ length: 10 }, (_, i) => `egress-${i + 10}`));
    assert.equal(page.next, `${cp.url}/zoneegresses?name=egress-&offset=20&size=10`);
    const last = (await request(page.next!)).json as typeof def;
    assert.equal(last.items.length, 5);
    assert.equal(last.next, null);
    const none = (await request(`${cp.url}/zoneegresses?name=nothing`)).json;
    assert.deepEqual(none, { total: 0, items: [], next: null });
    const tooBig = await request(`${cp.url}/zoneegresses?size=2000`);
    assert.equal(tooBig.status, 400);
    assert.deepEqual((tooBig.json as { invalid_parameters: unknown[] }).invalid_parameters, [{ field: 'size', reason: 'invalid page size of 2000. Maximum page size is 1000' }]);
    assert.equal((await request(`${cp.url}/zoneegresses?size=0`)).status, 400);
    assert.equal((await request(`${cp.url}/zoneegresses?offset=-1`)).status, 400);
  });

  test('mesh-scoped resources: listed per mesh and across meshes; their mesh must exist; a mesh with resources cannot be deleted', async (t) => {
    const cp = await startTestControlPlane(t);
    for (const m of ['m1', 'm2']) assert.equal((await request(`${cp.url}/meshes/${m}`, { method: 'PUT', body: { type: 'Mesh', name: m } })).status, 201);
    for (const [m, n] of [['m1', 'a'], ['m1', 'b'], ['m2', 'a']]) {
      const r = await request(`${cp.url}/meshes/${m}/external-services/${n}`, { method: 'PUT', body: es(m, n) });
      assert.equal(r.status, 201, r.text);
    }
    const inM1 = (await request(`${cp.url}/meshes/m1/external-services`)).json as { total: number; items: { mesh: string; name: string }[] };
    assert.deepEqual(inM1.items.map((i) => `${i.mesh}/${i.name}`), ['m1/a', 'm1/b']);
    const all = (await request(`${cp.url}/external-services`)).json as typeof inM1;
    assert.deepEqual(all.items.map((i) => `${i.mesh}/${i.name}`), ['m1/a', 'm2/a', 'm1/b']);
    const one = await request(`${cp.url}/meshes/m2/external-services/a`);
    assert.equal((one.json as { mesh: string }).mesh, 'm2');
    assert.equal((await request(`${cp.url}/meshes/m2/external-services/b`)).status, 404);

    const refused = await request(`${cp.url}/meshes/m1`, { method: 'DELETE' });
    assert.equal(refused.status, 409);
    const p = refused.json as Record<string, string>;
    assert.equal(p.title, 'Could not delete a resource');
    assert.equal(p.detail, 'mesh "m1" still contains 2 resource(s) (ExternalService a, ExternalService b); delete them first');
    assert.equal((await request(`${cp.url}/meshes/m1`)).status, 200, 'the mesh is still there');
    for (const n of ['a', 'b']) assert.equal((await request(`${cp.url}/meshes/m1/external-services/${n}`, { method: 'DELETE' })).status, 200);
    assert.equal((await request(`${cp.url}/meshes/m1`, { method: 'DELETE' })).status, 200);
  });

  test('the URL decides the identity: name and type in the body must match it', async (t) => {
    const cp = await startTestControlPlane(t);
    const res = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: { ...ze('ze-2'), type: 'ZoneIngress' } });
    assert.equal(res.status, 400);
    const fields = (res.json as { invalid_parameters: { field: string; reason: string }[] }).invalid_parameters;
    assert.deepEqual(fields.slice(0, 2), [
      { field: 'name', reason: 'name from the URL has to be the same as in body' },
      { field: 'type', reason: 'type from the URL has to be the same as in body' },
    ]);
  });

  test('read-only views: insights, overviews pairing each ZoneEgress with its insight, lookup by kri', async (t) => {
    const cp = await startTestControlPlane(t, { clock: '2019-07-17T18:08:41Z' });
    await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: ze('ze-1') });
    await request(`${cp.url}/zoneegresses/ze-2`, { method: 'PUT', body: ze('ze-2') });
    const subscriptions = [{ id: '1', controlPlaneInstanceId: cp.instance.instanceId, connectTime: '2019-07-17T18:08:41Z' }];
    await cp.store.create({ type: 'ZoneEgressInsight', name: 'ze-1', subscriptions });
    const insight = await request(`${cp.url}/zoneegressinsights/ze-1`);
    assert.deepEqual((insight.json as { subscriptions: unknown }).subscriptions, subscriptions);
    const overview = {
      type: 'ZoneEgressOverview',
      name: 'ze-1',
      creationTime: '2019-07-17T18:08:41Z',
      modificationTime: '2019-07-17T18:08:41Z',
      kri: 'kri_ze____ze-1_',
      labels: { 'kuma.io/proxy-type': 'egress' },
      zoneEgress: { zone: 'zone-1', networking: { address: '10.0.0.1', port: 10001 } },
      zoneEgressInsight: { subscriptions },
    };
    assert.deepEqual((await request(`${cp.url}/zoneegresses/ze-1/_overview`)).json, overview);
    assert.deepEqual((await request(`${cp.url}/zoneegressoverviews/ze-1`)).json, overview);
    const list = (await request(`${cp.url}/zoneegresses/_overview?size=1`)).json as { total: number; items: unknown[]; next: string };
    assert.equal(list.total, 2);
    assert.deepEqual(list.items, [overview]);
    assert.equal(list.next, `${cp.url}/zoneegresses/_overview?offset=1&size=1`);
    const second = (await request(`${cp.url}/zoneegressoverviews?offset=1`)).json as { items: { zoneEgressInsight: unknown }[] };
    assert.deepEqual(second.items[0].zoneEgressInsight, {}, 'an egress that never connected has an empty insight');
    assert.equal((await request(`${cp.url}/zoneegresses/nope/_overview`)).status, 404);
    assert.equal((await request(`${cp.url}/zoneegressoverviews/ze-1`, { method: 'PUT', body: {} })).status, 405);
    assert.equal((await request(`${cp.url}/_kri/kri_ze____ze-2_`)).status, 200);
    assert.equal((await request(`${cp.url}/_kri/kri_ze__other-zone__ze-2_`)).status, 404);
  });

  test('malformed requests get problem details and never take the server down', async (t) => {
    const cp = await startTestControlPlane(t, { bodyLimit: 64 * 1024 });
    const badJson = await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: '{"type": "Mesh", "name":', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.status, 400);
    assert.match((badJson.json as { detail: string }).detail, /^invalid Mesh object: ".+"$/);
    const badYaml = await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: 'type: Mesh\nname: [m1', headers: { 'content-type': 'application/yaml' } });
    assert.equal(badYaml.status, 400);
    assert.match((badYaml.json as { detail: string }).detail, /^invalid Mesh object: ".+"$/);
    const yaml = await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: 'type: Mesh\nname: m1\n', headers: { 'content-type': 'application/yaml' } });
    assert.equal(yaml.status, 201, 'a YAML body is accepted');
    const notObject = await request(`${cp.url}/meshes/m2`, { method: 'PUT', body: '[1,2]', headers: { 'content-type': 'application/json' } });
    assert.equal(notObject.status, 400);
    const empty = await request(`${cp.url}/meshes/m2`, { method: 'PUT', body: '', headers: { 'content-type': 'application/json' } });
    assert.equal(empty.status, 400);
    const huge = await request(`${cp.url}/meshes/m2`, { method: 'PUT', body: JSON.stringify({ type: 'Mesh', name: 'm2', pad: 'x'.repeat(200 * 1024) }), headers: { 'content-type': 'application/json' } });
    assert.equal(huge.status, 413);
    assert.match((huge.json as { detail: string }).detail, /exceeds the limit of 65536 bytes/);
    const unknown = await request(`${cp.url}/no/such/path`);
    assert.equal(unknown.status, 404);
    assert.equal((unknown.json as { type: string }).type, '/std-errors');
    const badMethod = await request(`${cp.url}/zoneegresses`, { method: 'POST', body: {} });
    assert.equal(badMethod.status, 405);
    const badEscape = await request(`${cp.url}/zoneegresses/%E0%A4%A`);
    assert.equal(badEscape.status, 400);
    const garbage = await new Promise<string>((resolve) => {
      const s = connect(Number(new URL(cp.url).port), '127.0.0.1', () => s.end('NOT HTTP AT ALL\r\n\r\n'));
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('close', () => resolve(out));
    });
    assert.match(garbage, /^HTTP\/1.1 400/);
    assert.equal((await request(`${cp.url}/`)).status, 200, 'still serving');
  });

  test('concurrent PUTs on SQLite are all committed (group commit) and watched in commit order', async (t) => {
    const cp = await startTestControlPlane(t, { store: 'sqlite' });
    const seen: { name: string; version: number; port: unknown }[] = [];
    const unsubscribe = cp.store.watch((c) => seen.push({ name: c.key.name, version: c.version, port: (c.resource?.networking as { port?: number } | undefined)?.port }));
    t.after(unsubscribe);
    const statuses = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => request(`${cp.url}/zoneegresses/hot`, { method: 'PUT', body: ze('hot', 20000 + i) })),
      ...Array.from({ length: 30 }, (_, i) => request(`${cp.url}/zoneegresses/cold-${i}`, { method: 'PUT', body: ze(`cold-${i}`) })),
    ]);
    assert.deepEqual([...new Set(statuses.map((r) => r.status))].sort(), [200, 201]);
    const hot = seen.filter((c) => c.name === 'hot');
    assert.deepEqual(hot.map((c) => c.version), Array.from({ length: 30 }, (_, i) => i + 1));
    const final = (await request(`${cp.url}/zoneegresses/hot`)).json as { networking: { port: number } };
    assert.equal(final.networking.port, hot[29].port, 'the last change watched is what GET returns');
    assert.equal(((await request(`${cp.url}/zoneegresses?size=1`)).json as { total: number }).total, 31);
  });
});

test('an ExternalService with garbage inline TLS data is a 400 naming the field, not stored (it used to freeze every egress)', async (t) => {
  const cp = await startTestControlPlane(t);
  await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: { type: 'Mesh', name: 'm1' } });
  const es = { type: 'ExternalService', mesh: 'm1', name: 'api', tags: { 'kuma.io/service': 'api' }, networking: { address: 'api.example.com:443', tls: { enabled: true, caCert: { inlineString: 'xyz' } } } };
  const res = await request(`${cp.url}/meshes/m1/external-services/api`, { method: 'PUT', body: es });
  assert.equal(res.status, 400);
  assert.deepEqual((res.json as { invalid_parameters: unknown }).invalid_parameters, [{ field: 'networking.tls.caCert.inlineString', reason: 'is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)' }]);
  assert.equal((await request(`${cp.url}/meshes/m1/external-services/api`)).status, 404);
});
