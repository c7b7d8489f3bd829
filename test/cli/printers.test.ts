import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ago, formatAge } from '../../src/cli/age.js';
import { colorsFor, renderJson, renderResourceYaml, renderTable, renderYaml } from '../../src/cli/printers.js';
import { egressStatus } from '../../src/cli/views/inspect.js';
import { fixedClock } from '../../src/core/clock.js';
import type { Resource } from '../../src/resources/types.js';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/kuma-replay/${p}`, import.meta.url), 'utf8');

describe('table printer (kumactl output-table goldens)', () => {
  test('empty table prints nothing', () => assert.equal(renderTable([], []), fixture('output-table/empty.golden.txt')));
  test('header only', () => assert.equal(renderTable(['MESH', 'NAME'], []), fixture('output-table/header.golden.txt')));
  test('header and one row', () => assert.equal(renderTable(['MESH', 'NAME'], [['default', 'example']]), fixture('output-table/header-and-1-row.golden.txt')));
  test('header and two rows, padded to the widest cell, no trailing blanks', () =>
    assert.equal(
      renderTable(
        ['MESH', 'NAME'],
        [
          ['default', 'example'],
          ['playground', 'demo'],
        ],
      ),
      fixture('output-table/header-and-2-rows.golden.txt'),
    ));
});

describe('yaml and json printers', () => {
  const mesh = JSON.parse(fixture('output-table/json-printer-mesh.golden.json')) as Resource;
  test('json of one resource is the REST shape, two-space indented', () => assert.equal(renderJson(mesh), fixture('output-table/json-printer-mesh.golden.json')));
  test('yaml of one resource: meta fields first, then spec, keys sorted, timestamps quoted', () =>
    assert.equal(renderResourceYaml(mesh), fixture('output-table/yaml-printer-mesh.golden.yaml')));
  test('yaml of a list sorts every key (kumactl get meshes -o yaml)', () => {
    const list = JSON.parse(fixture('get/get-meshes.golden.json')) as unknown;
    assert.equal(renderYaml(list), fixture('get/get-meshes.golden.yaml'));
  });
  test('yaml of overviews keeps uint64 counters as quoted strings', () => {
    const list = JSON.parse(fixture('inspect/inspect-zoneegresses.golden.json')) as unknown;
    assert.equal(renderYaml(list), fixture('inspect/inspect-zoneegress.golden.yaml'));
  });
});

describe('ages', () => {
  test('one truncated unit: s, m, h, d, y', () => {
    assert.deepEqual(
      [0, 59_999, 60_000, 3_599_999, 3_600_000, 86_399_999, 86_400_000, 364 * 86_400_000, 365 * 86_400_000].map(formatAge),
      ['0s', '59s', '1m', '59m', '1h', '23h', '1d', '364d', '1y'],
    );
  });
  test("unset is `never`; the zero time saturates at Go's 292y like kumactl", () => {
    const clock = fixedClock('2019-07-17T18:08:41Z');
    assert.equal(ago(undefined, clock), 'never');
    assert.equal(ago('', clock), 'never');
    assert.equal(ago('0001-01-01T00:00:00Z', clock), '292y');
    assert.equal(ago('2019-07-17T16:05:36.995Z', clock), '2h');
    assert.equal(ago('2019-07-17T18:08:42Z', clock), '0s', 'a time in the future (clock skew) is not negative');
  });
});

describe('colours', () => {
  test('only on a TTY, and never with NO_COLOR or TERM=dumb', () => {
    assert.equal(colorsFor({ isTTY: false }, {}).level, 0);
    assert.ok(colorsFor({ isTTY: true }, {}).level > 0);
    assert.equal(colorsFor({ isTTY: true }, { NO_COLOR: '' }).level, 0);
    assert.equal(colorsFor({ isTTY: true }, { TERM: 'dumb' }).level, 0);
    assert.equal(colorsFor({ isTTY: true }, {}).green('Online'), '\x1b[32mOnline\x1b[39m');
  });
});

describe('egress status from an overview', () => {
  const list = JSON.parse(fixture('inspect/inspect-zoneegresses.golden.json')) as { items: Resource[] };
  test("online when a subscription is connected and not disconnected; sums over subscriptions; version of the latest", () => {
    assert.deepEqual(egressStatus(list.items[0]), {
      name: 'zoneegress-1',
      online: true,
      lastConnected: '2019-07-17T16:05:36.995Z',
      lastUpdated: undefined,
      totalUpdates: 30,
      totalErrors: 3,
      version: '1.0.2',
    });
    assert.equal(egressStatus(list.items[1]).online, false);
  });
  test('zonectl egresses report version.zonectl, preferred over kumaDp', () => {
    const s = egressStatus({
      type: 'ZoneEgressOverview',
      name: 'e',
      zoneEgressInsight: { subscriptions: [{ connectTime: '2019-07-17T18:00:00Z', version: { zonectl: { version: '0.1.0' }, kumaDp: { version: 'x' } } }] },
    });
    assert.equal(s.version, '0.1.0');
    assert.equal(s.online, true);
  });
  test('an egress that never connected is Offline with no counts', () => {
    assert.deepEqual(egressStatus({ type: 'ZoneEgressOverview', name: 'e', zoneEgress: {}, zoneEgressInsight: {} }), {
      name: 'e',
      online: false,
      lastConnected: undefined,
      lastUpdated: undefined,
      totalUpdates: 0,
      totalErrors: 0,
      version: '',
    });
  });
});
