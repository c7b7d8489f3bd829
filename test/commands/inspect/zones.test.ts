import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliContext } from '../../cli/context.js';
import { runCli } from '../../helpers/cli.js';
import { startTestControlPlane } from '../../helpers/cp.js';
import { assertGolden } from '../../helpers/golden.js';

/** A KDSSubscription as the global records it (counters are proto3-JSON strings). */
const sub = (id: string, connectTime: string, extra: { disconnectTime?: string; lastUpdateTime?: string; sent?: number; rejected?: number; version?: string } = {}) => ({
  id,
  globalInstanceId: 'global-1',
  zoneInstanceId: `zone-cp-${id}`,
  connectTime,
  ...(extra.disconnectTime ? { disconnectTime: extra.disconnectTime } : {}),
  status: {
    ...(extra.lastUpdateTime ? { lastUpdateTime: extra.lastUpdateTime } : {}),
    total: { responsesSent: String(extra.sent ?? 0), responsesAcknowledged: String(extra.sent ?? 0), responsesRejected: String(extra.rejected ?? 0) },
  },
  version: { kumaCp: { version: extra.version ?? '0.1.0' } },
  authTokenProvided: true,
});

test('inspect zones: Kuma\'s columns from the zones\' overviews (table, wide, json)', async (t) => {
  const cp = await startTestControlPlane(t, { mode: 'global', clock: '2019-07-17T16:05:36Z', options: { kdsPort: 0, kdsAddress: '127.0.0.1' } });
  const { env } = cliContext(t, cp.url);
  for (const name of ['zone-1', 'zone-2', 'zone-3']) await cp.store.create({ type: 'Zone', name, enabled: true });
  await cp.store.create({
    type: 'ZoneInsight',
    name: 'zone-1',
    // An older stream whose global died without writing disconnectTime, then the current one.
    subscriptions: [sub('1', '2019-07-17T10:00:00Z', { sent: 10, rejected: 1, version: '0.0.9' }), sub('2', '2019-07-17T18:00:00Z', { lastUpdateTime: '2019-07-17T18:08:11Z', sent: 5 })],
  });
  await cp.store.create({ type: 'ZoneInsight', name: 'zone-2', subscriptions: [sub('3', '2019-07-15T18:00:00Z', { disconnectTime: '2019-07-16T18:00:00Z', lastUpdateTime: '2019-07-16T17:00:00Z', sent: 7, rejected: 2 })] });
  const zonectl = async (...args: string[]) => {
    const r = await runCli(args, { env });
    assert.equal(r.code, 0, `zonectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const [table, wide, json] = await Promise.all([zonectl('inspect', 'zones'), zonectl('inspect', 'zones', '-o', 'wide'), zonectl('inspect', 'zones', '--json')]);
  assertGolden('inspect/zones.txt', table);
  assertGolden('inspect/zones-wide.txt', wide);
  const rows = table.trimEnd().split('\n').map((l) => l.split(/ {3,}/));
  assert.deepEqual(rows, [
    ['NAME', 'STATUS', 'LAST CONNECTED AGO', 'LAST UPDATED AGO', 'TOTAL UPDATES', 'TOTAL ERRORS', 'ZONE-CP VERSION'],
    ['zone-1', 'Online', '8m', '30s', '15', '1', '0.1.0'],
    ['zone-2', 'Offline', '2d', '1d', '7', '2', '0.1.0'],
    ['zone-3', 'Offline', 'never', 'never', '0', '0'],
  ]);
  const list = JSON.parse(json) as { total: number; items: { type: string; name: string; zone: unknown }[] };
  assert.equal(list.total, 3);
  assert.deepEqual(list.items[0].type, 'ZoneOverview');
  assert.deepEqual(list.items[0].zone, { enabled: true });
  const zones = await runCli(['get', 'zones'], { env });
  assert.equal(zones.code, 0, zones.stderr);
  assert.match(zones.stdout, /^NAME\s+AGE/);
});
