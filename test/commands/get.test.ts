import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliContext, type CliContext } from '../cli/context.js';
import { runCli } from '../helpers/cli.js';
import { startTestControlPlane } from '../helpers/cp.js';
import { assertGolden } from '../helpers/golden.js';

const FIXTURES = new URL('./apply/fixtures/', import.meta.url).pathname;

describe('zonectl get', () => {
  let ctx: CliContext;
  const hooks: (() => unknown)[] = [];
  before(async () => {
    const t = { after: (fn: () => unknown) => hooks.unshift(fn) };
    // Created 2h3m before the CLI's fixed clock (2019-07-17T18:08:41Z): AGE prints 2h.
    const cp = await startTestControlPlane(t, { clock: '2019-07-17T16:05:36Z' });
    ctx = cliContext(t, cp.url);
    const applied = await runCli(['apply', '-f', `${FIXTURES}mesh.yaml`, '-f', `${FIXTURES}set.yaml`], { env: ctx.env });
    assert.equal(applied.code, 0, applied.stderr);
  });
  after(async () => {
    for (const fn of hooks) await fn();
  });

  const zonectl = async (...args: string[]) => {
    const r = await runCli(args, { env: ctx.env });
    assert.equal(r.code, 0, `zonectl ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    return r.stdout;
  };

  for (const kind of ['meshes', 'zoneegresses', 'zoneingresses', 'external-services']) {
    test(`get ${kind}: table, json and yaml`, async () => {
      const [table, json, yaml] = await Promise.all([zonectl('get', kind), zonectl('get', kind, '-o', 'json'), zonectl('get', kind, '-o', 'yaml')]);
      assertGolden(`get/${kind}.txt`, table);
      assertGolden(`get/${kind}.json`, json);
      assertGolden(`get/${kind}.yaml`, yaml);
    });
  }

  test('get KIND NAME (singular or plural kind): table, json, yaml; --json equals -o json', async () => {
    const [table, json, yaml, flagJson] = await Promise.all([
      zonectl('get', 'zoneegress', 'zoneegress-1'),
      zonectl('get', 'zoneegresses', 'zoneegress-1', '-o', 'json'),
      zonectl('get', 'zoneegress', 'zoneegress-1', '-o', 'yaml'),
      zonectl('get', 'zoneegress', 'zoneegress-1', '--json'),
    ]);
    assertGolden('get/zoneegress-1.txt', table);
    assertGolden('get/zoneegress-1.json', json);
    assertGolden('get/zoneegress-1.yaml', yaml);
    assert.deepEqual(JSON.parse(flagJson), JSON.parse(json));
  });

  test('--size and --offset page through; the footer names the next offset', async () => {
    const [first, second] = await Promise.all([zonectl('get', 'meshes', '--size', '1'), zonectl('get', 'meshes', '--size', '1', '--offset', '1')]);
    assertGolden('get/meshes-page-1.txt', first);
    assert.match(first, /\n\nRerun command with --offset=1 argument to retrieve more resources\n$/);
    assert.doesNotMatch(second, /Rerun/);
    assert.match(second, /^other /m);
  });

  test('-o yaml --format kubernetes prints the Kubernetes form; validate and apply take it back unchanged', async () => {
    const [meshes, egress, es] = await Promise.all([
      zonectl('get', 'meshes', '-o', 'yaml', '--format', 'kubernetes'),
      zonectl('get', 'zoneegress', 'zoneegress-1', '-o', 'yaml', '--format', 'kubernetes'),
      zonectl('get', 'external-services', '-o', 'json', '--format', 'kubernetes'),
    ]);
    assertGolden('get/meshes.kubernetes.yaml', meshes);
    assertGolden('get/zoneegress-1.kubernetes.yaml', egress);
    assert.equal((JSON.parse(es) as { items: { kind: string; mesh: string }[] }).items.map((i) => `${i.kind}/${i.mesh}`).join(), 'ExternalService/default');
    const all = `${meshes}---\n${egress}`;
    const validated = await runCli(['validate', '--strict', '-'], { stdin: all, env: ctx.env });
    assert.deepEqual([validated.code, validated.stdout], [0, 'OK: 3 documents in 1 file, all valid\n']);
    const applied = await runCli(['apply', '-f', '-'], { stdin: all, env: ctx.env });
    assert.deepEqual([applied.code, applied.stderr], [0, '']);
    assert.equal(await zonectl('get', 'zoneegress', 'zoneegress-1', '-o', 'yaml', '--format', 'kubernetes'), egress);
    const table = await runCli(['get', 'meshes', '--format', 'kubernetes'], { env: ctx.env });
    assert.deepEqual([table.code, table.stderr], [2, 'Error: --format kubernetes shapes -o yaml and -o json output: add -o yaml (or -o json)\n']);
  });

  test('-m picks the mesh of mesh-scoped kinds; an empty mesh prints the header only', async () => {
    assert.equal(await zonectl('get', 'external-services', '-m', 'other'), 'MESH   NAME   TAGS   ADDRESS   AGE\n');
    assert.deepEqual(JSON.parse(await zonectl('get', 'external-services', '-m', 'other', '--json')), { total: 0, items: [], next: null });
  });

  test('a missing resource exits 1 with kumactl\'s message; an unknown kind is a usage error (2)', async () => {
    const missing = await runCli(['get', 'zoneegress', 'nope'], { env: ctx.env });
    assert.deepEqual([missing.code, missing.stdout, missing.stderr], [1, '', 'Error: there is no ZoneEgress with name "nope"\n']);
    const es = await runCli(['get', 'external-service', 'nope', '-m', 'default'], { env: ctx.env });
    assert.deepEqual([es.code, es.stderr], [1, 'Error: there is no ExternalService with name "nope" in mesh "default"\n']);
    const unknown = await runCli(['get', 'dataplanes'], { env: ctx.env });
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'Error: unknown resource type "dataplanes" (one of: meshes, zoneegresses, zoneingresses, external-services, meshtrafficpermissions, meshaccesslogs, zoneegressinsights, zones, zoneinsights, global-secrets)\n');
  });
});
