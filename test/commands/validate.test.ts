// `zonectl validate` end to end through bin/run.js (fast path) and, for parity, through oclif.
// Needs `npm run build` first.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { runCli, ROOT, type CliResult } from '../helpers/cli.js';
import { assertGolden } from '../helpers/golden.js';
import { tmpDir } from '../helpers/tmp.js';

const FIX = 'test/fixtures/validate';
const INVALID = `${FIX}/invalid`;

/** Runs the oclif command directly, bypassing the fast path, to compare the two. */
function runOclif(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const script = `import('@oclif/core').then((o) => o.execute({ dir: ${JSON.stringify(join(ROOT, 'bin', 'run.js'))}, args: ${JSON.stringify(args)} }))`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.end();
  });
}

describe('zonectl validate', () => {
  test('the bundled examples are valid: exit 0 and a summary', async () => {
    const r = await runCli(['validate', 'examples']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'OK: 6 documents in 6 files, all valid\n');
  });

  test('the examples also pass --strict', async () => {
    const r = await runCli(['validate', '--strict', 'examples/']);
    assert.equal(r.code, 0, r.stdout);
  });

  for (const format of ['text', 'json', 'junit', 'sarif', 'github'] as const) {
    test(`-o ${format}: invalid resources exit 3, output matches the golden file`, async () => {
      const r = await runCli(['validate', '-o', format, INVALID]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stderr, '');
      assertGolden(`validate/invalid.${format === 'text' ? 'txt' : format === 'junit' ? 'xml' : format === 'github' ? 'github.txt' : `${format}.json`}`, r.stdout);
    });
  }

  test('-o json follows schemas/output/validate.schema.json', async () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/output/validate.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true }).compile(schema);
    for (const args of [['examples'], [INVALID], ['-', '--fail-on-warn']]) {
      const r = await runCli(['validate', '-o', 'json', ...args], { stdin: 'type: Mesh\nname: m\nrouting:\n  zoneEgress: false\n' });
      const report = JSON.parse(r.stdout) as unknown;
      assert.ok(validate(report), JSON.stringify(validate.errors));
    }
  });

  test('reports the file, line, column and field of each problem (json)', async () => {
    const r = await runCli(['validate', '-o', 'json', `${INVALID}/resources.yaml`]);
    const report = JSON.parse(r.stdout) as { results: { type: string; violations: { field: string; line: number; column: number }[] }[] };
    const egress = report.results.find((x) => x.type === 'ZoneEgress');
    assert.deepEqual(
      egress?.violations.map((v) => [v.field, v.line, v.column]),
      [
        ['networking.address', 5, 3],
        ['networking.port', 6, 3],
      ],
    );
  });

  test('reads standard input with -', async () => {
    const r = await runCli(['validate', '-'], { stdin: 'type: ZoneEgress\nname: ze\nnetworking:\n  address: 10.0.0.1\n  port: 0\n' });
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '<stdin>:5:3: error: networking.port: port must be in the range [1, 65535] [ZoneEgress "ze"]\nFAIL: 1 of 1 document invalid in 1 file\n');
  });

  test('searches directories recursively for .yaml, .yml and .json, skipping hidden ones', async () => {
    const r = await runCli(['validate', '-o', 'json', `${FIX}/tree`]);
    assert.equal(r.code, 0, r.stdout);
    const report = JSON.parse(r.stdout) as { summary: unknown; results: { file: string }[] };
    assert.deepEqual(report.summary, { files: 3, documents: 3, invalid: 0, warnings: 0, skipped: 0 });
    assert.deepEqual(report.results.map((x) => x.file), [`${FIX}/tree/a.yaml`, `${FIX}/tree/sub/b.yml`, `${FIX}/tree/sub/c.json`]);
  });

  test('--var fills {{ }} templates before validating', async () => {
    const file = `${FIX}/templated/zoneegress.yaml`;
    const ok = await runCli(['validate', '--var', 'name=ze-1', '--var=address=10.0.0.5', '--var', 'port=10002', file]);
    assert.equal(ok.code, 0, ok.stdout);
    const missing = await runCli(['validate', '--var', 'name=ze-1', file]);
    assert.equal(missing.code, 3);
    assert.match(missing.stdout, /networking\.port: port must be in the range/);
  });

  test('--strict rejects unknown fields that pass by default', async () => {
    const doc = 'type: ZoneEgress\nname: ze\nnetworking:\n  address: 10.0.0.1\n  port: 10002\n  adress: typo\n';
    assert.equal((await runCli(['validate', '-'], { stdin: doc })).code, 0);
    const strict = await runCli(['validate', '--strict', '-'], { stdin: doc });
    assert.equal(strict.code, 3);
    assert.equal(strict.stdout.split('\n')[0], '<stdin>:6:3: error: networking.adress: unknown field (not allowed with --strict) [ZoneEgress "ze"]');
  });

  test('warnings pass unless --fail-on-warn', async () => {
    const mesh = 'type: Mesh\nname: m\nmtls:\n  enabledBackend: ca\n  backends:\n  - name: ca\n    type: builtin\nrouting:\n  zoneEgress: true\n';
    const r = await runCli(['validate', '-'], { stdin: mesh });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^<stdin>:9:3: warning: routing\.zoneEgress: no ZoneEgress among the validated resources/);
    assert.match(r.stdout, /OK: 1 document in 1 file, all valid \(1 warning\)\n$/);
    assert.equal((await runCli(['validate', '--fail-on-warn', '-'], { stdin: mesh })).code, 3);
  });

  test('a YAML syntax error is a violation with line and column, not a crash', async () => {
    const r = await runCli(['validate', '-'], { stdin: 'type: Mesh\nname: a\n---\nname: [unclosed\n' });
    assert.equal(r.code, 3);
    assert.match(r.stdout, /^<stdin>:\d+:\d+: error: YAML syntax: /m);
    assert.equal(r.stderr, '');
  });

  test('a duplicate (type, mesh, name) is an error on the later document', async () => {
    const r = await runCli(['validate', '-'], { stdin: 'type: Mesh\nname: a\n---\ntype: Mesh\nname: a\n' });
    assert.equal(r.code, 3);
    assert.match(r.stdout, /^<stdin>:5:1: error: name: duplicate: Mesh "a" is already defined in <stdin> \(document 0, line 1\)/);
  });

  describe('usage errors exit 2', () => {
    const cases: [string, string[], RegExp][] = [
      ['unknown flag', ['validate', '--nope', 'examples'], /Nonexistent flag: --nope/],
      ['bad output format', ['validate', '-o', 'xml', 'examples'], /Expected --output=xml to be one of: text, json, junit, sarif, github/],
      ['unreadable path', ['validate', 'no/such/file.yaml'], /^Error: cannot read no\/such\/file.yaml: no such file or directory \(check the path\)$/m],
      ['no path', ['validate'], /^Error: nothing to validate: pass files, directories, or - for standard input/m],
      ['bad --var', ['validate', '--var', 'novalue', 'examples'], /^Error: invalid --var "novalue": expected KEY=VALUE/m],
    ];
    for (const [name, args, message] of cases) {
      test(name, async () => {
        const r = await runCli(args);
        assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stdout, '');
      });
    }
  });

  test('--help is rendered by oclif and lists every flag of the shared table', async () => {
    const r = await runCli(['validate', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['-o, --output=<option>', '--var=KEY=VALUE...', '--strict', '--fail-on-warn']) assert.ok(r.stdout.includes(flag), `${flag} missing in:\n${r.stdout}`);
  });

  test('the fast path and the oclif command give the same output and exit code', async (t) => {
    const dir = tmpDir(t);
    const file = join(dir, 'in.yaml');
    writeFileSync(file, 'type: ZoneEgress\nname: ze\nnetworking:\n  address: "{{ a }}"\n  port: 0\n');
    for (const args of [
      ['validate', '-o', 'json', '--var', 'a=10.0.0.1', file],
      ['validate', '--output=github', '--strict', file],
      ['validate', '-ojunit', '--fail-on-warn', 'examples'],
      ['validate', '--', file],
      ['validate', 'missing.yaml'],
    ]) {
      const [fast, oclif] = await Promise.all([runCli(args), runOclif(args)]);
      assert.deepEqual(fast, oclif, args.join(' '));
    }
  });
});
