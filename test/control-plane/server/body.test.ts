import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request, startTestControlPlane } from '../../helpers/cp.js';

test('a YAML body with an alias bomb is a 400 problem about the YAML, not a 500', async (t) => {
  const cp = await startTestControlPlane(t);
  const bomb = ['a: &a [x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b]', 'd: &d [*c, *c, *c, *c, *c]', 'e: [*d, *d, *d]'].join('\n');
  const res = await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: bomb, headers: { 'content-type': 'application/yaml' } });
  assert.equal(res.status, 400);
  assert.equal(res.headers['content-type'], 'application/json');
  const p = res.json as { title: string; detail: string };
  // Kuma's wording for a body its decoder refuses (put_dataplanes_05 golden).
  assert.equal(p.title, 'Bad Request');
  assert.match(p.detail, /^invalid Mesh object: "Excessive alias count/);
  assert.equal((await request(`${cp.url}/meshes`)).status, 200, 'the server still answers');
});

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

test('a body nested thousands deep is a 400 naming the field, nothing is stored, and the control plane lives on', async (t) => {
  const cp = await startTestControlPlane(t, { store: 'sqlite' });
  // 3,500 levels used to pass JSON.parse, get stored, then end the process in a structuredClone after the COMMIT.
  const body = `{"type":"Mesh","name":"m1","labels":{},"x":${deep(3500)}}`;
  const res = await request(`${cp.url}/meshes/m1`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 400);
  const p = res.json as { detail: string; invalid_parameters: { field: string; reason: string }[] };
  assert.equal(p.detail, 'the request body nests objects or arrays deeper than 64 levels; no resource needs that, nothing was stored');
  assert.equal(p.invalid_parameters[0].reason, 'nested deeper than 64 levels');
  assert.match(p.invalid_parameters[0].field, /^x\[0\]\[0\]/);
  assert.equal((await request(`${cp.url}/meshes/m1`)).status, 404, 'nothing was stored');
  assert.equal((await request(`${cp.url}/meshes`)).status, 200, 'lists still answer');
});

test('deep YAML, flow or block, is a 400 too', async (t) => {
  const cp = await startTestControlPlane(t);
  for (const body of [`type: Mesh\nname: m1\nx: ${deep(5000)}\n`, `type: Mesh\nname: m1\nx:\n${Array.from({ length: 80 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`]) {
    const res = await request(`${cp.url}/meshes/m1`, { method: 'PUT', body, headers: { 'content-type': 'application/yaml' } });
    assert.equal(res.status, 400, res.text);
    assert.match((res.json as { detail: string }).detail, /^(the request body nests objects or arrays deeper than 64 levels|invalid Mesh object: "nested too deeply")/);
  }
  const ok = await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: { type: 'Mesh', name: 'm1', labels: { a: 'b' } } });
  assert.equal(ok.status, 201, 'a normal resource is still accepted');
});
