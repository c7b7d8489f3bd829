/**
 * The web view in a real headless Chromium against a live control plane with two egresses and
 * traffic: each view's text is checked against the REST API, links and the back button are
 * followed, a screenshot of each view goes to test-output/gui/, and an egress that stops turns
 * Offline on the open page within 15 s.
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { launchBrowser, outputDir } from '../helpers/browser.js';
import { startLiveMesh, type LiveMesh } from './fixture.js';

/** Page callbacks run in the browser; the test program has no DOM lib (it clashes with Node's types). */
declare const document: { querySelector(sel: string): { innerText: string; textContent: string | null; getAttribute(name: string): string | null } | null };
type Text = { innerText: string };
type Input = { value: string };

type List<T = Record<string, unknown>> = { total: number; items: T[] };

/** Optional collections the page probes for; a 404 on them is expected, not an error. */
const PROBES = /^\/(_resources|zones|meshtrafficpermissions|meshaccesslogs|config)(\?|$)/;
/** Admin-only endpoints: 403 for the page until it has the admin token. */
const ADMIN_ONLY = /^\/(zoneegresses\/[^/]+\/(stats|xds|clusters)|config)$/;

async function openPage(t: Parameters<typeof launchBrowser>[0], mesh: LiveMesh) {
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  const problems: string[] = [];
  const origin = new URL(mesh.cp.url).origin;
  page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/^Failed to load resource/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  page.on('request', (req) => {
    if (!req.url().startsWith(origin + '/')) problems.push(`request off the control plane: ${req.url()}`);
  });
  const state = { anonymous: true };
  page.on('response', (res) => {
    const u = new URL(res.url());
    const expected = (res.status() === 404 && PROBES.test(u.pathname + u.search)) || (res.status() === 403 && state.anonymous && ADMIN_ONLY.test(u.pathname));
    if (res.status() >= 400 && !expected) problems.push(`${res.status()} for ${u.pathname}${u.search}`);
  });
  return { page, problems, state };
}

const shots = outputDir('gui');
for (const f of readdirSync(shots)) if (f.endsWith('.png')) rmSync(join(shots, f));
async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function textOf(page: Page, selector: string): Promise<string> {
  await page.waitForSelector(selector);
  return page.$eval(selector, (el) => (el as unknown as Text).innerText);
}

/** Waits until the element's text matches (the page polls; no sleeps); on timeout says what it saw. */
async function waitText(page: Page, selector: string, re: RegExp, timeout = 10_000): Promise<string> {
  try {
    await page.waitForFunction((sel: string, src: string, flags: string) => new RegExp(src, flags).test(document.querySelector(sel)?.innerText ?? ''), { timeout, polling: 100 }, selector, re.source, re.flags);
  } catch (err) {
    await shot(page, 'failure');
    const seen = await page.$eval(selector, (el) => (el as unknown as Text).innerText).catch(() => '(no such element)');
    throw new Error(`${selector} never matched ${re} in ${timeout} ms; it shows: ${seen}`, { cause: err });
  }
  return textOf(page, selector);
}

async function heading(page: Page, text: string) {
  await waitText(page, 'h1', new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
}

type Overview = { name: string; zoneEgress: { zone: string; networking: { address: string; port: number } }; zoneEgressInsight: { subscriptions: Sub[] } };
type Sub = { id: string; controlPlaneInstanceId: string; disconnectTime?: string; status: { total: { responsesSent: string; responsesAcknowledged: string; responsesRejected: string } } };
type Dump = { version: string; snapshot: { routes: { sni: string; kind: string; mesh: string; endpoints?: { address: string; port: number; weight: number }[]; address?: string; port?: number }[] } };

test('web view in Chromium: every view against the REST API, auth, links and back button, live stats, Offline within 15 s', { timeout: 120_000 }, async (t) => {
  // As a browser away from the control plane sees it: localhost is not admin, the token is.
  const mesh = await startLiveMesh(t, { localhostIsAdmin: false });
  await mesh.traffic('zoneegress-1', 4);
  const { page, problems, state } = await openPage(t, mesh);

  // Home: counts as the list endpoints give them; no Zones entry on a control plane without /zones.
  await page.goto(`${mesh.cp.url}/gui`);
  await heading(page, 'Overview');
  const meshes = await mesh.api<List>('/meshes');
  const overviews = await mesh.api<List<Overview>>('/zoneegresses/_overview');
  assert.equal(await textOf(page, '[data-testid=count-meshes]'), String(meshes.total));
  assert.equal(await textOf(page, '[data-testid=count-egresses]'), String(overviews.total));
  assert.equal(await textOf(page, '[data-testid=count-ingresses]'), String((await mesh.api<List>('/zoneingresses')).total));
  assert.equal(await textOf(page, '[data-testid=count-external-services]'), String((await mesh.api<List>('/external-services')).total));
  assert.match(await textOf(page, 'main'), /2 online, 0 offline/);
  const index = await mesh.api<{ version: string; zone: string; instanceId: string }>('/');
  const cpFacts = await textOf(page, 'section[aria-labelledby=cp]');
  assert.match(cpFacts, new RegExp(`zonectl ${index.version.replace(/\./g, '\\.')}`));
  assert.match(cpFacts, new RegExp(index.instanceId));
  assert.equal(await page.title(), 'Overview · zonectl');
  assert.deepEqual(await page.$$eval('nav a', (as) => as.map((a) => a.textContent)), ['Overview', 'Zone egresses', 'Meshes']);
  await shot(page, 'home');

  // The card links to the egress table: the rows of `inspect zoneegresses`.
  await page.click('a[href="/gui/zoneegresses"] [data-testid=count-egresses]');
  await heading(page, 'Zone egresses');
  assert.equal(new URL(page.url()).pathname, '/gui/zoneegresses');
  await page.waitForSelector('tr[data-egress="zoneegress-2"]');
  for (const o of overviews.items) {
    const subs = o.zoneEgressInsight.subscriptions;
    const cells = (await textOf(page, `tr[data-egress="${o.name}"]`)).split('\t').map((c) => c.trim());
    assert.equal(cells[0], o.name);
    assert.equal(cells[1], 'Online');
    assert.equal(cells[2], o.zoneEgress.zone);
    assert.equal(cells[3], `${o.zoneEgress.networking.address}:${o.zoneEgress.networking.port}`);
    assert.match(cells[4], /^\d+s ago$/);
    assert.equal(cells[6], String(subs.reduce((n, s) => n + Number(s.status.total.responsesSent), 0)));
    assert.equal(cells[7], String(subs.reduce((n, s) => n + Number(s.status.total.responsesRejected), 0)));
    assert.equal(cells[8], '0.1.0');
  }
  assert.match(await textOf(page, 'table.data caption'), /^2 of 2 zone egresses, 2 online$/);
  await shot(page, 'egresses');

  // Sorting by a header button (keyboard-reachable), state in the URL.
  await page.click('th button.sort');
  await page.waitForFunction(() => document.querySelector('th[aria-sort=descending]') !== null);
  assert.deepEqual(await page.$$eval('tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-egress'))), ['zoneegress-2', 'zoneegress-1']);
  assert.equal(new URL(page.url()).search, '?order=desc');
  // Filtering by name and by status, also in the URL (a filtered table is a link).
  await page.type('input[name=q]', 'ress-1');
  await waitText(page, 'table.data caption', /^1 of 2 zone egresses/);
  assert.equal(new URL(page.url()).searchParams.get('q'), 'ress-1');
  await page.select('select[name=status]', 'offline');
  await waitText(page, 'table.data tbody', /No zone egress matches the filter/);
  await page.goto(`${mesh.cp.url}/gui/zoneegresses?status=online&q=2`);
  await waitText(page, 'table.data caption', /^1 of 2 zone egresses/);
  assert.equal(await page.$eval('input[name=q]', (el) => (el as unknown as Input).value), '2');

  // Keyboard: Enter on a row's link opens the egress.
  await page.goto(`${mesh.cp.url}/gui/zoneegresses`);
  await page.waitForSelector('tr[data-egress="zoneegress-1"] a');
  await page.focus('tr[data-egress="zoneegress-1"] a');
  await page.keyboard.press('Enter');
  await heading(page, 'Zone egress zoneegress-1');
  assert.equal(new URL(page.url()).pathname, '/gui/zoneegresses/zoneegress-1');

  // Subscriptions are public; stats and the config dump need admin rights, and the page says so.
  const one = await mesh.api<Overview>('/zoneegresses/zoneegress-1/_overview');
  const sub = one.zoneEgressInsight.subscriptions[0];
  const subRow = (await textOf(page, `tr[data-subscription="${sub.id}"]`)).split('\t').map((c) => c.trim());
  assert.deepEqual(subRow.slice(1, 6), ['connected', sub.controlPlaneInstanceId, sub.status.total.responsesSent, sub.status.total.responsesAcknowledged, sub.status.total.responsesRejected]);
  await waitText(page, 'main', /Live stats: needs admin rights/);
  await waitText(page, 'main', /The routes \(config dump\): needs admin rights/);
  await shot(page, 'egress-anonymous');

  // The admin token, entered once, is used for every call and never shown.
  await page.click('details.token summary');
  await page.type('details.token input[name=token]', mesh.cp.adminToken);
  state.anonymous = false;
  await Promise.all([page.waitForNavigation(), page.click('details.token button[type=submit]')]);
  await heading(page, 'Zone egress zoneegress-1');
  await waitText(page, 'details.token summary', /Admin token \(set\)/);

  // Routes against the config dump, counters against /stats.
  const dump = await mesh.api<Dump>('/zoneegresses/zoneegress-1/xds');
  await page.waitForSelector('tr[data-route]');
  assert.match(await textOf(page, '#routes ~ table caption, section[aria-labelledby=routes] caption'), new RegExp(`^${dump.snapshot.routes.length} routes in config version ${dump.version}$`));
  for (const r of dump.snapshot.routes) {
    // Counters come from the stats poll, which may answer after the config dump.
    const cells = (await waitText(page, `tr[data-route="${r.sni}"]`, /\t2\t[^\t]+\t[^\t]+$/)).split('\t').map((c) => c.trim());
    assert.equal(cells[0], r.sni);
    assert.equal(cells[1], r.kind === 'passthrough' ? 'Passthrough (cross-zone)' : 'Terminating (external service)');
    assert.equal(cells[2], r.mesh);
    if (r.kind === 'passthrough') assert.equal(cells[3], r.endpoints!.map((e) => `${e.address}:${e.port} in zone-2, weight ${e.weight}`).join('\n'));
    else assert.equal(cells[3], `${r.address}:${r.port}`);
    assert.equal(cells[5], '2', `${r.sni}: 2 connections each way`);
  }
  const stats = await mesh.api<string>('/zoneegresses/zoneegress-1/stats');
  const accepted = /^downstream_cx_total: (\d+)$/m.exec(stats)![1];
  assert.equal(await waitText(page, '[data-testid=stat-accepted]', new RegExp(`^${accepted}$`)), accepted);
  assert.match(await textOf(page, 'tr[data-reason="rejected.unknown-sni"]'), /^unknown-sni\t0$/);
  assert.match(await textOf(page, 'tr[data-identity="default"]'), /^default\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\t\d{4}-/);

  // The chart, sampled by the page: traffic while the page watches shows as connections/s.
  // Three bursts, each seen by a new sample, so the chart has bars over time.
  let sent = Number(accepted);
  for (const n of [6, 2, 4]) {
    await mesh.traffic('zoneegress-1', n);
    sent += n;
    await waitText(page, '[data-testid=stat-accepted]', new RegExp(`^${sent}$`));
  }
  await page.waitForFunction(() => /highest [1-9][\d.]*\/s|highest 0\.[1-9]/.test(document.querySelector('figure.chart svg')?.getAttribute('aria-label') ?? ''), { timeout: 10_000 });
  assert.ok((await page.$$('figure.chart rect.chart-bar')).length >= 2);
  await shot(page, 'egress');

  // The full config dump, with nothing secret in it (and no token anywhere on the page).
  await page.click('a[href="/gui/zoneegresses/zoneegress-1/config-dump"]');
  await heading(page, 'Config dump of zoneegress-1');
  const shown = JSON.parse(await textOf(page, 'pre.dump')) as Dump;
  assert.equal(shown.version, dump.version);
  assert.deepEqual(shown.snapshot.routes.map((r) => r.sni), dump.snapshot.routes.map((r) => r.sni));
  const html = await page.content();
  assert.doesNotMatch(html, /PRIVATE KEY/);
  assert.ok(!html.includes(mesh.cp.adminToken), 'the admin token is on the page');
  await shot(page, 'config-dump');
  // Back twice: the egress, then the table.
  await page.goBack();
  await heading(page, 'Zone egress zoneegress-1');
  await page.goBack();
  await heading(page, 'Zone egresses');

  // Meshes: mTLS, CA expiry (from the egresses' identities), egress routing, services, egresses.
  await page.click('nav a[href="/gui/meshes"]');
  await heading(page, 'Meshes');
  const row = (await waitText(page, 'tr[data-mesh="default"]', /zoneegress-1, zoneegress-2|zoneegress-2, zoneegress-1/)).split('\t').map((c) => c.trim());
  assert.equal(row[0], 'default');
  assert.equal(row[1], 'ca-1 (builtin)');
  assert.match(row[2], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.equal(row[3], 'Yes');
  assert.equal(row[4], String((await mesh.api<List>('/meshes/default/external-services')).total));
  await shot(page, 'meshes');
  await page.click('tr[data-mesh="default"] th a');
  await heading(page, 'Mesh default');
  assert.match(await textOf(page, 'tr[data-external-service="httpbin"]'), /^httpbin\t127\.0\.0\.1:\d+\tNo\tkuma\.io\/service=httpbin/);
  await shot(page, 'mesh');

  // A deep link to a view that does not exist says so, with a way back.
  await page.goto(`${mesh.cp.url}/gui/nothing/here`);
  await heading(page, 'Page not found');

  // An egress that stops turns Offline on the open page within 15 s.
  await page.goto(`${mesh.cp.url}/gui/zoneegresses`);
  await page.waitForSelector('tr[data-egress="zoneegress-2"]');
  const stoppedAt = Date.now();
  await mesh.stopEgress('zoneegress-2');
  const offline = await waitText(page, 'tr[data-egress="zoneegress-2"]', /\bOffline\b/, 15_000);
  assert.ok(Date.now() - stoppedAt <= 15_000, `Offline after ${Date.now() - stoppedAt} ms`);
  assert.match(offline, /^zoneegress-2\tOffline\t/);
  assert.match(await textOf(page, 'table.data caption'), /^2 of 2 zone egresses, 1 online$/);
  await shot(page, 'egresses-offline');
  await page.goto(`${mesh.cp.url}/gui`);
  await waitText(page, 'main', /1 online, 1 offline/);
  assert.match(await textOf(page, 'main'), /1 zone egress is offline/);

  assert.deepEqual(problems, []);
});
