/**
 * Replays kuma-cp's own REST goldens (reference/kuma-2.14/api-server) against zonectl's server
 * and compares status and body, modulo timestamps. Mesh CRUD is replayed as is; ZoneIngress stands
 * in for ZoneEgress (upstream has no ZoneEgress CRUD goldens). Inputs about kinds zonectl does not
 * serve (Dataplane, TrafficRoute, MeshTrafficPermission) are left out.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { Resource } from '../../../src/resources/types.js';
import { request, startTestControlPlane } from '../../helpers/cp.js';

const REF = fileURLToPath(new URL('../fixtures/kuma-2.14-api-server', import.meta.url));
const CRUD = join(REF, 'crud');
const ERRORS = join(REF, 'errors');
const SERVED = new Set(['Mesh', 'ZoneIngress', 'ZoneEgress']);

interface Step {
  path: string;
  status: number;
  method: string;
}

function parseInput(file: string): { steps: Step[]; resources: Resource[] } {
  const text = readFileSync(file, 'utf8');
  const steps = text
    .split('\n')
    .filter((l) => l.startsWith('#/'))
    .map((l) => {
      const [path, status, method] = l.slice(1).trim().split(/\s+/);
      return { path, status: Number(status), method: method ? method.replace('method=', '') : 'GET' };
    });
  const resources = parseAllDocuments(text).map((d) => (d as { toJS(): unknown }).toJS() as Resource).filter(Boolean);
  return { steps, resources };
}

/** Kuma's test store leaves timestamps at Go's zero time; ours are real, so take the golden's. */
function normalise(actual: unknown, expected: unknown): unknown {
  if (Array.isArray(actual) && Array.isArray(expected)) return actual.map((a, i) => normalise(a, expected[i]));
  if (actual && typeof actual === 'object' && expected && typeof expected === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(actual)) {
      const e = (expected as Record<string, unknown>)[k];
      out[k] = (k === 'creationTime' || k === 'modificationTime') && typeof e === 'string' ? e : normalise(v, e);
    }
    return out;
  }
  return actual;
}

const inputs = readdirSync(CRUD).filter((f) => f.endsWith('.input.yaml'));

describe('kuma-cp CRUD goldens', () => {
  for (const input of inputs) {
    const base = input.replace('.input.yaml', '');
    const { steps, resources } = parseInput(join(CRUD, input));
    const unserved = resources.some((r) => !SERVED.has(r.type)) || steps.some((s) => /dataplanes|traffic|meshtrafficpermissions/.test(s.path));
    if (unserved) continue;
    test(base, async (t) => {
      const cp = await startTestControlPlane(t);
      for (const r of resources) await cp.store.create(r);
      for (const [i, step] of steps.entries()) {
        const nn = String(i).padStart(2, '0');
        const golden = steps.length > 1 ? join(CRUD, `${base}_${nn}.golden.json`) : join(CRUD, `${base}.golden.json`);
        const reqFile = join(CRUD, `${base}_${nn}.request.json`);
        const body = existsSync(reqFile) ? readFileSync(reqFile, 'utf8') : undefined;
        const res = await request(cp.url + step.path, { method: step.method, body, headers: body ? { 'content-type': 'application/json' } : {} });
        assert.equal(res.status, step.status, `${step.method} ${step.path}: ${res.text}`);
        const expected = JSON.parse(readFileSync(golden, 'utf8').replaceAll('{{address}}', new URL(cp.url).host));
        assert.deepEqual(normalise(res.json, expected), expected, `${step.method} ${step.path}`);
      }
    });
  }
});

describe('kuma-cp error goldens', () => {
  const golden = (name: string) => JSON.parse(readFileSync(join(ERRORS, `${name}.golden.json`), 'utf8'));

  test('writes to a read-only collection answer 405', async (t) => {
    const cp = await startTestControlPlane(t);
    const put = await request(`${cp.url}/zoneegressinsights/ze-1`, { method: 'PUT', body: { type: 'ZoneEgressInsight', name: 'ze-1' } });
    assert.equal(put.status, 405);
    assert.deepEqual(put.json, golden('resource-read-only_put'));
    const del = await request(`${cp.url}/zoneegressinsights/ze-1`, { method: 'DELETE' });
    assert.deepEqual(del.json, golden('resource-read-only_delete'));
  });

  test('deleting a missing resource answers 404', async (t) => {
    const cp = await startTestControlPlane(t);
    const res = await request(`${cp.url}/zoneegresses/nope`, { method: 'DELETE' });
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, golden('resource-delete_not-found'));
  });

  test('a mesh-scoped resource in a missing mesh answers 400 "Mesh is not found"', async (t) => {
    const cp = await startTestControlPlane(t);
    const res = await request(`${cp.url}/meshes/default/external-services/es-1`, {
      method: 'PUT',
      body: { type: 'ExternalService', mesh: 'default', name: 'es-1', networking: { address: 'example.com:443' }, tags: { 'kuma.io/service': 'es-1' } },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, golden('resource_mesh-not-found'));
  });

  test('listing a mesh-scoped collection of a missing mesh answers 404 "Failed to retrieve Mesh"', async (t) => {
    const cp = await startTestControlPlane(t);
    const res = await request(`${cp.url}/meshes/not-a-mesh/external-services`);
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, JSON.parse(readFileSync(join(CRUD, 'list_mesh_doesnt_exist_not_found.golden.json'), 'utf8')));
  });

  test('a secret read by a non-admin answers 403 Access Denied', async (t) => {
    const cp = await startTestControlPlane(t);
    const res = await request(`${cp.url}/global-secrets/s1`, { localAddress: '127.0.0.2' });
    assert.equal(res.status, 403);
    // Kuma's type is "Secret"; zonectl's only secret kind is GlobalSecret.
    assert.deepEqual(res.json, JSON.parse(JSON.stringify(golden('auth-admin-non-localhost')).replaceAll('\\"Secret\\"', '\\"GlobalSecret\\"')));
  });

  test('a mesh in the body that differs from the URL is reported on field mesh', async (t) => {
    const cp = await startTestControlPlane(t);
    await cp.store.create({ type: 'Mesh', name: 'default' });
    const res = await request(`${cp.url}/meshes/default/external-services/es-1`, {
      method: 'PUT',
      body: { type: 'ExternalService', mesh: 'other', name: 'es-1', networking: { address: 'example.com:443' }, tags: { 'kuma.io/service': 'es-1' } },
    });
    assert.equal(res.status, 400);
    const expected = golden('resource_name-mesh');
    const body = res.json as typeof expected;
    assert.equal(body.title, expected.title);
    assert.equal(body.detail, expected.detail);
    assert.deepEqual(body.invalid_parameters[0], expected.invalid_parameters[0]);
    assert.deepEqual(body.causes[0], expected.causes[0]);
  });
});
