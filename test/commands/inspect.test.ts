import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliContext, type CliContext } from '../cli/context.js';
import { runCli } from '../helpers/cli.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/cp.js';
import { assertGolden } from '../helpers/golden.js';

const FIXTURES = new URL('./apply/fixtures/', import.meta.url).pathname;

/** A subscription as the control plane records it (counters are proto3-JSON strings). */
const sub = (id: string, connectTime: string, extra: { disconnectTime?: string; lastUpdateTime?: string; sent?: number; rejected?: number; version?: string } = {}) => ({
  id,
  controlPlaneInstanceId: 'cp-1',
  connectTime,
  ...(extra.disconnectTime ? { disconnectTime: extra.disconnectTime } : {}),
  status: {
    ...(extra.lastUpdateTime ? { lastUpdateTime: extra.lastUpdateTime } : {}),
    total: { responsesSent: String(extra.sent ?? 0), responsesAcknowledged: String(extra.sent ?? 0), responsesRejected: String(extra.rejected ?? 0) },
  },
  version: { kumaDp: { version: extra.version ?? '0.1.0' } },
});

describe('zonectl inspect', () => {
  let ctx: CliContext;
  let cp: TestControlPlane;
  const hooks: (() => unknown)[] = [];
  before(async () => {
    const t = { after: (fn: () => unknown) => hooks.unshift(fn) };
    cp = await startTestControlPlane(t, { clock: '2019-07-17T16:05:36Z' });
    ctx = cliContext(t, cp.url);
    const egresses = ['online-1', 'offline-2', 'never-3']
      .map((name, i) => `type: ZoneEgress\nname: ${name}\nzone: zone-1\nnetworking:\n  address: 10.0.0.${i + 1}\n  port: 10002\n`)
      .join('---\n');
    const applied = await runCli(['apply', '-f', `${FIXTURES}mesh.yaml`, '-f', `${FIXTURES}set.yaml`, '-f', '-'], { env: ctx.env, stdin: egresses });
    assert.equal(applied.code, 0, applied.stderr);
    // What the dp-server records while egresses stream config (the CLI's clock is 18:08:41).
    await cp.store.create({
      type: 'ZoneEgressInsight',
      name: 'online-1',
      subscriptions: [
        sub('1', '2019-07-17T10:00:00Z', { disconnectTime: '2019-07-17T11:00:00Z', sent: 10, rejected: 1, version: '0.0.9' }),
        sub('2', '2019-07-17T18:00:00Z', { lastUpdateTime: '2019-07-17T18:08:11Z', sent: 5, version: '0.1.0' }),
      ],
    });
    await cp.store.create({
      type: 'ZoneEgressInsight',
      name: 'offline-2',
      subscriptions: [sub('1', '2019-07-15T18:00:00Z', { disconnectTime: '2019-07-16T18:00:00Z', lastUpdateTime: '2019-07-16T17:00:00Z', sent: 7, rejected: 2 })],
    });
  });
  after(async () => {
    for (const fn of hooks) await fn();
  });

  const zonectl = async (...args: string[]) => {
    const r = await runCli(args, { env: ctx.env });
    assert.equal(r.code, 0, `zonectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  test('inspect zoneegresses: status, ages, totals and version per egress (table, json, yaml)', async () => {
    const [table, json, yaml] = await Promise.all([zonectl('inspect', 'zoneegresses'), zonectl('inspect', 'zoneegresses', '-o', 'json'), zonectl('inspect', 'zoneegresses', '-o', 'yaml')]);
    assertGolden('inspect/zoneegresses.txt', table);
    assertGolden('inspect/zoneegresses.json', json);
    assertGolden('inspect/zoneegresses.yaml', yaml);
    const rows = table.trimEnd().split('\n').slice(1).map((l) => l.split(/ {3,}/));
    assert.deepEqual(rows, [
      ['never-3', 'Offline', 'never', 'never', '0', '0'],
      ['offline-2', 'Offline', '2d', '1d', '7', '2', '0.1.0'],
      ['online-1', 'Online', '8m', '30s', '15', '1', '0.1.0'],
      ['zoneegress-1', 'Offline', 'never', 'never', '0', '0'],
    ]);
  });

  test('inspect zoneegresses pages through every overview', async (t) => {
    const many = Array.from({ length: 120 }, (_, i) => ({ type: 'ZoneEgress', name: `bulk-${String(i).padStart(3, '0')}`, networking: { address: '10.1.0.1', port: 10002 } }));
    await Promise.all(many.map((r) => cp.store.create(r)));
    t.after(() => Promise.all(many.map((r) => cp.store.delete({ type: 'ZoneEgress', name: r.name }))));
    const list = JSON.parse(await zonectl('inspect', 'zoneegresses', '--json')) as { total: number; items: unknown[]; next: null };
    assert.equal(list.total, 124);
    assert.equal(list.items.length, 124);
    assert.equal(list.next, null);
  });

  test('inspect meshes: mTLS, egress routing and external services per mesh', async () => {
    const [table, json] = await Promise.all([zonectl('inspect', 'meshes'), zonectl('inspect', 'meshes', '--json')]);
    assertGolden('inspect/meshes.txt', table);
    assertGolden('inspect/meshes.json', json);
  });
});
