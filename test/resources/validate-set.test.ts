import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadDocuments } from '../../src/resources/load.js';
import { checkUrlMeta, validateResource } from '../../src/resources/validate.js';
import { DocumentSetValidator, validateDocuments } from '../../src/resources/validate-set.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const load = (text: string, file = 'set.yaml') => loadDocuments(text, { file });

describe('validateDocuments: checks across documents', () => {
  test('a duplicate (type, mesh, name) is an error on the later document only', () => {
    const results = validateDocuments(load('type: Mesh\nname: a\n---\ntype: Mesh\nname: a\n---\ntype: ExternalService\nmesh: m1\nname: es\nnetworking: {address: "h:1"}\ntags: {kuma.io/service: es}\n---\ntype: ExternalService\nmesh: m2\nname: es\nnetworking: {address: "h:1"}\ntags: {kuma.io/service: es}\n'));
    assert.deepEqual(results.map((r) => r.valid), [true, false, true, true]);
    assert.deepEqual(results[1].violations, [
      { field: 'name', message: 'duplicate: Mesh "a" is already defined in set.yaml (document 0, line 1)', severity: 'error', line: 5, column: 1, rule: 'duplicate' },
    ]);
  });

  test('the same name in different kinds is not a duplicate', () => {
    const results = validateDocuments(load('type: Mesh\nname: a\n---\ntype: ZoneEgress\nname: a\nnetworking:\n  port: 10002\n'));
    assert.ok(results.every((r) => r.valid));
  });

  test('a Mesh routing through a ZoneEgress, with none in the set, gets a warning and stays valid', () => {
    const mesh = 'type: Mesh\nname: m\nmtls:\n  enabledBackend: ca\n  backends:\n  - name: ca\n    type: builtin\nrouting:\n  zoneEgress: true\n';
    const [alone] = validateDocuments(load(mesh));
    assert.equal(alone.valid, true);
    assert.deepEqual(alone.violations.map((v) => [v.severity, v.field, v.line, v.rule]), [['warning', 'routing.zoneEgress', 9, 'mesh-without-zoneegress']]);
    const withEgress = validateDocuments(load(`${mesh}---\ntype: ZoneEgress\nname: ze\nnetworking:\n  port: 10002\n`));
    assert.deepEqual(withEgress.flatMap((r) => r.violations), []);
  });

  test('results carry the parsed value for apply; the streaming validator can drop it', () => {
    const docs = load('type: Mesh\nname: a\n');
    assert.deepEqual(validateDocuments(docs)[0].value, { type: 'Mesh', name: 'a' });
    const set = new DocumentSetValidator({});
    set.add(docs[0]);
    assert.equal(set.finish()[0].value, undefined);
  });

  test('syntax errors become violations with the position of the error', () => {
    const [r] = validateDocuments(load('name: [unclosed\n'));
    assert.equal(r.valid, false);
    assert.equal(r.violations[0].rule, 'syntax');
    assert.equal(r.violations[0].field, '');
  });
});

describe('checkUrlMeta (control plane PUT)', () => {
  test("reports Kuma's URL-vs-body messages in Kuma's order", () => {
    assert.deepEqual(checkUrlMeta({ type: 'Dataplane', mesh: 'other', name: 'x' }, { type: 'ExternalService', mesh: 'default', name: 'es' }), [
      { field: 'name', message: 'name from the URL has to be the same as in body' },
      { field: 'mesh', message: 'mesh from the URL has to be the same as in body' },
      { field: 'type', message: 'type from the URL has to be the same as in body' },
    ]);
    assert.deepEqual(checkUrlMeta({ type: 'ZoneEgress', name: 'ze' }, { type: 'ZoneEgress', name: 'ze' }), []);
  });
});

describe('schemas', () => {
  const dir = join(ROOT, 'schemas');
  const files = readdirSync(dir).filter((f) => f.endsWith('.schema.json') && f !== 'egress-routes.schema.json');

  test('each is draft 2020-12 with an $id', () => {
    for (const f of [...files, 'output/validate.schema.json']) {
      const s = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { $schema: string; $id: string };
      assert.equal(s.$schema, 'https://json-schema.org/draft/2020-12/schema', f);
      assert.match(s.$id, /^https:\/\/zonectl\.dev\/schemas\//, f);
    }
  });

  test('every valid reference document of Kuma 2.14 passes, --strict included', () => {
    const text = readFileSync(join(ROOT, 'test/fixtures/validate/kuma-valid-resources.yaml'), 'utf8');
    for (const doc of loadDocuments(text, { file: 'valid-resources.yaml', vars: { address: '10.0.0.5' } })) {
      assert.deepEqual(validateResource(doc.value, { strict: true }), [], `document at line ${doc.line}`);
    }
  });
});
