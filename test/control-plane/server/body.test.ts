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
  assert.equal(p.title, 'Could not process a resource');
  assert.match(p.detail, /^the request body is not valid YAML: Excessive alias count/);
  assert.equal((await request(`${cp.url}/meshes`)).status, 200, 'the server still answers');
});
