import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { iterateDocuments, loadDocuments, renderTemplate } from '../../src/resources/load.js';

describe('renderTemplate (kumactl --var)', () => {
  test('replaces {{ key }} with or without spaces, dotted keys included', () => {
    assert.equal(renderTemplate('a: {{ address }}\nb: "{{name}}"\nc: {{ var.with.dots }}\n', { address: '10.0.0.5', name: 'x', 'var.with.dots': 'y' }), 'a: 10.0.0.5\nb: "x"\nc: y\n');
  });
  test('accepts the triple-brace form too', () => {
    assert.equal(renderTemplate('a: {{{ x }}}\nb: {{{y}}}', { x: '1', y: '2' }), 'a: 1\nb: 2');
  });
  test('an unknown key renders empty, as mustache does', () => {
    assert.equal(renderTemplate('a: "{{ missing }}"', {}), 'a: ""');
  });
  test('text without templates is returned as is', () => {
    const text = 'a: 1\n';
    assert.equal(renderTemplate(text, { a: 'b' }), text);
  });
});

describe('loadDocuments', () => {
  test('splits multi-document YAML and reports where each document starts', () => {
    const docs = loadDocuments('# header comment\ntype: Mesh\nname: a\n---\n\n# lead\ntype: Mesh\nname: b\n---\n---\n# only a comment\n...\ntype: Mesh\nname: c\n', { file: 'm.yaml' });
    assert.deepEqual(
      docs.map((d) => [d.index, d.line, (d.value as { name: string }).name]),
      [
        [0, 2, 'a'],
        [1, 7, 'b'],
        [2, 13, 'c'],
      ],
    );
    assert.ok(docs.every((d) => d.file === 'm.yaml'));
  });

  test('applies --var values before parsing', () => {
    const [doc] = loadDocuments('type: ZoneEgress\nname: e\nnetworking:\n  address: "{{ address }}"\n  port: {{ port }}\n', { file: 'e.yaml', vars: { address: '10.0.0.5', port: '10002' } });
    assert.deepEqual(doc.value, { type: 'ZoneEgress', name: 'e', networking: { address: '10.0.0.5', port: 10002 } });
  });

  test('a YAML syntax error is a document with a position, and the others still load', () => {
    const docs = loadDocuments('type: Mesh\nname: bar\n---\n"gewfew\n---\ntype: Mesh\nname: foo\n', { file: 'bad.yaml' });
    assert.equal(docs.length, 3);
    assert.equal(docs[1].value, undefined);
    assert.ok(docs[1].syntaxError);
    assert.match(docs[1].syntaxError.message, /quote/i);
    assert.deepEqual([docs[1].syntaxError.line, docs[1].syntaxError.column], [4, 1]); // the opening quote
    assert.deepEqual((docs[2].value as { name: string }).name, 'foo');
  });

  test('reports the line and column of a bad indentation', () => {
    const [doc] = loadDocuments('type: Mesh\nname: m\nmtls:\n  enabledBackend: a\n backends: []\n', { file: 'x.yaml' });
    assert.ok(doc.syntaxError);
    assert.equal(doc.syntaxError.line, 5);
  });

  test('reads JSON documents', () => {
    const docs = loadDocuments('{\n  "type": "Mesh",\n  "name": "m"\n}\n', { file: 'm.json' });
    assert.deepEqual(docs.map((d) => [d.line, d.value]), [[1, { type: 'Mesh', name: 'm' }]]);
  });

  test('falls back to the yaml library for flow style, anchors and content on the --- line', () => {
    const docs = loadDocuments('--- {type: Mesh, name: a}\n---\nbase: &b {type: Mesh}\n---\ntype: ZoneEgress\nname: e\nnetworking: {port: 1}\n', { file: 'f.yaml' });
    assert.deepEqual(
      docs.map((d) => d.value),
      [{ type: 'Mesh', name: 'a' }, { base: { type: 'Mesh' } }, { type: 'ZoneEgress', name: 'e', networking: { port: 1 } }],
    );
    assert.deepEqual(docs.map((d) => d.line), [1, 3, 5]);
  });

  test('ignores a byte-order mark and empty input', () => {
    assert.deepEqual(loadDocuments('\ufefftype: Mesh\nname: m\n', { file: 'b.yaml' })[0].value, { type: 'Mesh', name: 'm' });
    assert.deepEqual(loadDocuments('', { file: 'e.yaml' }), []);
    assert.deepEqual(loadDocuments('# nothing\n---\n', { file: 'e.yaml' }), []);
  });

  test('iterateDocuments yields the same documents lazily', () => {
    const text = 'type: Mesh\nname: a\n---\ntype: Mesh\nname: b\n';
    assert.deepEqual([...iterateDocuments(text, { file: 'x' })].map((d) => d.value), loadDocuments(text, { file: 'x' }).map((d) => d.value));
  });
});

describe('LoadedDocument.locate', () => {
  const text = ['type: Mesh', 'name: m', '---', 'type: ExternalService', 'name: es', 'tags:', '  "kuma.io/service": x', 'networking:', '  tls:', '    caCert:', '      secret: ""', 'list:', '  - a', '  - b', ''].join('\n');
  const [, doc] = loadDocuments(text, { file: 'x.yaml' });

  test('finds nested keys, quoted keys and list items', () => {
    assert.deepEqual(doc.locate('tags["kuma.io/service"]'), { line: 7, column: 3 });
    assert.deepEqual(doc.locate('networking.tls.caCert'), { line: 10, column: 5 });
    assert.deepEqual(doc.locate('list[1]'), { line: 14, column: 3 });
  });

  test('falls back to the deepest existing ancestor, then to the document start', () => {
    assert.deepEqual(doc.locate('networking.tls.serverName'), { line: 9, column: 3 });
    assert.deepEqual(doc.locate('nothing.here'), { line: 4, column: 1 });
    assert.deepEqual(doc.locate(''), { line: 4, column: 1 });
  });

  test('works for documents the fast parser declined', () => {
    const [flow] = loadDocuments('# c\ntype: ZoneEgress\nname: e\nnetworking: {address: x,\n  port: 0}\n', { file: 'f.yaml' });
    assert.deepEqual(flow.locate('networking.port'), { line: 5, column: 3 });
  });
});

describe('files with directives', () => {
  test('are parsed by the yaml library as a whole, documents and positions kept', () => {
    const docs = loadDocuments('%YAML 1.2\n---\ntype: Mesh\nname: a\n---\ntype: Mesh\nname: [b\n', { file: 'd.yaml' });
    assert.equal(docs.length, 2);
    assert.deepEqual(docs[0].value, { type: 'Mesh', name: 'a' });
    assert.equal(docs[0].line, 3);
    assert.deepEqual(docs[0].locate('name'), { line: 4, column: 1 });
    assert.ok(docs[1].syntaxError);
  });
});
