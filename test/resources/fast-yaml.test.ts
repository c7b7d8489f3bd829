// The fast parser must agree with the `yaml` library on everything it accepts, and decline
// (FALLBACK) what it cannot do exactly. A property test generates manifest-like YAML; fixed cases
// pin the subset's edges.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { FALLBACK, fastParseYaml } from '../../src/resources/fast-yaml.js';

const scalarText = fc.oneof(
  fc.constantFrom('true', 'False', 'NULL', '~', 'null', 'yes', 'no', 'on', '0', '007', '-1', '+5', '1.5', '1e3', '.5', '0x1F', '0o17', '.inf', '-.Inf', '.nan', '10.0.0.1', '1:2', 'a#b', 'a #c', 'x: y', '-a', '- a', '[]', '{}', '[a]', '&x', '*x', '!t', '|', '>', '"q"', "'s'", "'it''s'", '"a\\nb"', '"\\x41"', '"tab\\there"', 'http://h:80/p', 'kuma.io/service', ''),
  fc.stringMatching(/^[a-zA-Z0-9 .:#'"\-_/\\[\]{}]{0,12}$/),
);
const keyText = fc.oneof(fc.constantFrom('type', 'name', 'kuma.io/service', '"quoted key"', "'single'", 'true', '80', 'a b', 'constructor', '__proto__', 'x-y_z.w'), fc.stringMatching(/^[a-z][a-zA-Z0-9_.-]{0,8}$/));

// A random block structure rendered as YAML text.
type Node = { kind: 'scalar'; text: string } | { kind: 'map'; entries: [string, Node][] } | { kind: 'seq'; items: Node[] };
const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('scalar' as const), text: scalarText }),
    fc.record({ kind: fc.constant('map' as const), entries: fc.array(fc.tuple(keyText, tie('node')), { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('seq' as const), items: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
  ),
})).node;

function render(n: Node, indent: number, seqIndentStyle: boolean): string[] {
  const pad = ' '.repeat(indent);
  if (n.kind === 'scalar') return [`${pad}${n.text}`];
  if (n.kind === 'map') {
    return n.entries.flatMap(([k, v]) => {
      if (v.kind === 'scalar') return [`${pad}${k}: ${v.text}`];
      const childIndent = v.kind === 'seq' && seqIndentStyle ? indent : indent + 2;
      return [`${pad}${k}:`, ...render(v, childIndent, seqIndentStyle)];
    });
  }
  return n.items.flatMap((v) => {
    if (v.kind === 'scalar') return [`${pad}- ${v.text}`];
    const lines = render(v, indent + 2, seqIndentStyle);
    if (v.kind === 'map') return [`${pad}- ${lines[0].trimStart()}`, ...lines.slice(1)];
    return [`${pad}-`, ...lines];
  });
}

function yamlValue(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: parse(text, { uniqueKeys: true }) as unknown };
  } catch {
    return { ok: false };
  }
}

describe('fast YAML parser', () => {
  test('agrees with the yaml library on everything it accepts (property)', () => {
    fc.assert(
      fc.property(node, fc.boolean(), fc.boolean(), (n, seqStyle, comments) => {
        let lines = render(n, 0, seqStyle);
        if (comments) lines = lines.flatMap((l, i) => (i % 2 ? [l, '  # a comment', ''] : [l]));
        const text = `${lines.join('\n')}\n`;
        const fast = fastParseYaml(text);
        if (fast === FALLBACK) return;
        const slow = yamlValue(text);
        assert.ok(slow.ok, `fast parser accepted what yaml rejects:\n${text}`);
        assert.deepEqual(fast, slow.value, `different values for:\n${text}`);
      }),
      { numRuns: 1500 },
    );
  });

  test('parses a typical manifest without falling back', () => {
    const text = [
      '# comment',
      'type: Mesh',
      'name: "default"',
      'mtls:',
      '  enabledBackend: ca-1   # trailing comment',
      '  backends:',
      '  - name: ca-1',
      "    type: 'builtin'",
      '    conf: {}',
      'routing:',
      '  zoneEgress: true',
      'constraints: ~',
      'list: []',
      'port: 10002',
      'ratio: 0.5',
      '',
    ].join('\r\n');
    assert.deepEqual(fastParseYaml(text), {
      type: 'Mesh',
      name: 'default',
      mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin', conf: {} }] },
      routing: { zoneEgress: true },
      constraints: null,
      list: [],
      port: 10002,
      ratio: 0.5,
    });
  });

  test('declines what it cannot parse exactly', () => {
    for (const text of [
      'a: &x 1\nb: *x\n', // anchors
      'a: !!str 1\n', // tags
      'a: |\n  text\n', // block scalars
      'a: [1, 2]\n', // flow collections
      'a: b\n  c\n', // multi-line plain scalar
      'a: 1\na: 2\n', // duplicate keys
      'a:\n\tb: 1\n', // tabs
      '"unclosed\n', // syntax error
      '? complex\n: key\n',
      'a: "\\x41"\n', // YAML-only escape
      'just a scalar\n',
      '__proto__: 1\n',
    ]) {
      assert.equal(fastParseYaml(text), FALLBACK, text);
    }
  });

  test('records the position of every key and item on request', () => {
    const positions = new Map();
    fastParseYaml('type: Mesh\nmtls:\n  backends:\n    - name: ca-1\n      type: builtin\ntags:\n  "kuma.io/service": x\n', positions);
    assert.deepEqual(positions.get('type'), { line: 1, column: 1 });
    assert.deepEqual(positions.get('mtls.backends[0]'), { line: 4, column: 5 });
    assert.deepEqual(positions.get('mtls.backends[0].type'), { line: 5, column: 7 });
    assert.deepEqual(positions.get('tags["kuma.io/service"]'), { line: 7, column: 3 });
  });
});
