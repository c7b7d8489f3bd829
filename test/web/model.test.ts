/** The web view's pure parts (run in Node; they have no DOM code): stats, status, expiry, redaction, routes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCA } from '../../src/core/pki.js';
import { ago, egressRow, parseStats, rates, redact, totals } from '../../web/src/model.js';
import { parseRoute } from '../../web/src/paths.js';
import { certValidity } from '../../web/src/x509.js';

test('stats text: counters, rejections, policy denials, routes whose SNI has dots, unknown lines kept', () => {
  const s = parseStats(
    [
      'state: READY',
      'config_version: abc',
      'downstream_cx_total: 12',
      'rejected.unknown-sni: 3',
      'rejected.denied: 2',
      'upstream_cx_connect_fail: 1',
      'route.web{mesh=m,version=v1.2}.cx_active: 1',
      'route.web{mesh=m,version=v1.2}.cx_total: 9',
      'route.web{mesh=m,version=v1.2}.bytes_in: 100',
      'route.web{mesh=m,version=v1.2}.bytes_out: 50',
      'route.web{mesh=m,version=v1.2}.outcome.closed: 8',
      'route.web{mesh=m,version=v1.2}.permission.deny: 2',
      'future_counter: 7',
      '',
    ].join('\n'),
  );
  assert.equal(s.state, 'READY');
  assert.equal(s.accepted, 12);
  assert.deepEqual(s.rejected, { 'unknown-sni': 3 });
  assert.deepEqual(s.denied, { total: 2 });
  assert.deepEqual(s.routes, [{ sni: 'web{mesh=m,version=v1.2}', active: 1, total: 9, bytesIn: 100, bytesOut: 50, outcomes: { closed: 8 } }]);
  assert.deepEqual(s.other, [
    ['route.web{mesh=m,version=v1.2}.permission.deny', '2'],
    ['future_counter', '7'],
  ]);
  assert.deepEqual(totals(s), { connections: 12, bytes: 150, active: 1 });
});

test('egress status as inspect zoneegresses computes it: Online while one stream is connected', () => {
  const sub = (id: string, connectTime: string, disconnectTime?: string) => ({ id, connectTime, disconnectTime, status: { lastUpdateTime: connectTime, total: { responsesSent: '2', responsesAcknowledged: '2', responsesRejected: '1' } }, version: { kumaDp: { version: '0.1.0' } } });
  const overview = (subs: unknown[]) => ({ name: 'ze-1', zoneEgress: { zone: 'z', networking: { address: '10.0.0.1', port: 10002, admin: { port: 9901 } } }, zoneEgressInsight: { subscriptions: subs } });
  const on = egressRow(overview([sub('a', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z'), sub('b', '2026-01-01T00:02:00Z')]));
  assert.equal(on.online, true);
  assert.equal(on.lastConnected, '2026-01-01T00:02:00Z');
  assert.equal(on.totalUpdates, 4);
  assert.equal(on.totalErrors, 2);
  assert.equal(on.address, '10.0.0.1:10002');
  assert.equal(on.version, '0.1.0');
  assert.equal(egressRow(overview([sub('a', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z')])).online, false);
  const never = egressRow({ name: 'ze-2', zoneEgress: {}, zoneEgressInsight: {} });
  assert.equal(never.online, false);
  assert.equal(ago(never.lastConnected), 'never');
  assert.equal(ago('2026-01-01T00:00:00Z', Date.parse('2026-01-01T01:02:03Z')), '1h2m ago');
});

test('certificate validity from PEM (UTCTime and the CA of a real bundle); garbage is undefined', async () => {
  const ca = await createCA({ commonName: 'mesh CA', validForMs: 3 * 86_400_000 });
  const v = certValidity(`some text\n${ca.certPem}`)!;
  assert.ok(v, 'parsed');
  const days = (v.notAfter.getTime() - v.notBefore.getTime()) / 86_400_000;
  assert.ok(days > 2.9 && days < 3.1, `validity ${days} days`);
  assert.equal(certValidity('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), undefined);
  assert.equal(certValidity('no pem'), undefined);
});

test('redaction: private keys and secret-named fields never reach the screen', () => {
  const key = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';
  assert.deepEqual(redact({ identities: [{ mesh: 'm', certPem: 'CERT', keyPem: key }], tls: { keyPem: '[redacted]', note: `x ${key} y` }, token: 'eyJ' }), {
    identities: [{ mesh: 'm', certPem: 'CERT', keyPem: '[redacted]' }],
    tls: { keyPem: '[redacted]', note: 'x [redacted] y' },
    token: '[redacted]',
  });
});

test('routes of the page: deep links decode, unknown paths are not-found', () => {
  assert.deepEqual(parseRoute('/gui/zoneegresses/ze%201/config-dump', '?x=1').params, { name: 'ze 1' });
  assert.equal(parseRoute('/gui/zoneegresses/ze-1/config-dump', '').view, 'config-dump');
  assert.equal(parseRoute('/gui/', '').view, 'home');
  assert.equal(parseRoute('/gui/meshes/default', '').view, 'mesh');
  assert.equal(parseRoute('/gui/nothing', '').view, 'not-found');
  assert.equal(parseRoute('/gui/zoneegresses', '?status=offline').query.get('status'), 'offline');
});

test('chart rates: per second between samples; a counter reset is 0, not negative', () => {
  assert.deepEqual(rates([{ t: 0, v: 10 }, { t: 2000, v: 30 }, { t: 4000, v: 5 }]), [{ t: 2000, v: 10 }, { t: 4000, v: 0 }]);
});
