/**
 * The web view in a real headless Chromium against a live control plane with two egresses and
 * traffic: each view's text is checked against the REST API, links and the back button are
 * followed, a screenshot of each view goes to test-output/gui/, and an egress that stops turns
 * Offline on the open page within 15 s.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { launchBrowser, outputDir } from '../helpers/browser.js';
import { startLiveMesh, type LiveMesh } from './fixture.js';

/** Page callbacks run in the browser; the test program has no DOM lib (it clashes with Node's types). */
declare const document: { querySelector(sel: string): { innerText: string; textContent: string | null } | null };
type Text = { innerText: string };
type Input = { value: string };

type List<T = Record<string, unknown>> = { total: number; items: T[] };

/** Optional collections the page probes for; a 404 on them is expected, not an error. */
const PROBES = /^\/(_resources|zones|meshtrafficpermissions|meshaccesslogs|config)(\?|$)/;

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
  page.on('response', (res) => {
    const u = new URL(res.url());
    if (res.status() >= 400 && !(PROBES.test(u.pathname + u.search) && res.status() === 404)) problems.push(`${res.status()} for ${u.pathname}${u.search}`);
  });
  return { page, problems };
}

const shots = outputDir('gui');
async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function textOf(page: Page, selector: string): Promise<string> {
  await page.waitForSelector(selector);
  return page.$eval(selector, (el) => (el as unknown as Text).innerText);
}

/** Waits until the element's text matches (the page polls; no sleeps). */
async function waitText(page: Page, selector: string, re: RegExp, timeout = 10_000): Promise<string> {
  await page.waitForFunction((sel: string, src: string, flags: string) => new RegExp(src, flags).test(document.querySelector(sel)?.innerText ?? ''), { timeout, polling: 100 }, selector, re.source, re.flags);
  return textOf(page, selector);
}

async function heading(page: Page, text: string) {
  await page.waitForFunction((t: string) => document.querySelector('h1')?.textContent === t, { timeout: 10_000 }, text);
}

test('web view: home and zone egresses against the REST API, links, back button, Offline within 15 s', { timeout: 120_000 }, async (t) => {
  const mesh = await startLiveMesh(t);
  await mesh.traffic('zoneegress-1', 4);
  const { page, problems } = await openPage(t, mesh);

  // Home: counts as the list endpoints give them.
  await page.goto(`${mesh.cp.url}/gui`);
  await heading(page, 'Overview');
  const meshes = await mesh.api<List>('/meshes');
  const overviews = await mesh.api<List>('/zoneegresses/_overview');
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
  await shot(page, 'home');

  // The card links to the egress table.
  await page.click('a[href="/gui/zoneegresses"] [data-testid=count-egresses]');
  await heading(page, 'Zone egresses');
  assert.equal(new URL(page.url()).pathname, '/gui/zoneegresses');
  await page.waitForSelector('tr[data-egress="zoneegress-2"]');
  for (const o of overviews.items) {
    const ze = o.zoneEgress as { zone: string; networking: { address: string; port: number } };
    const row = await textOf(page, `tr[data-egress="${String(o.name)}"]`);
    const subs = (o.zoneEgressInsight as { subscriptions: { status: { total: { responsesSent: string; responsesRejected: string } } }[] }).subscriptions;
    const cells = row.split('\t').map((c) => c.trim());
    assert.equal(cells[0], o.name);
    assert.equal(cells[1], 'Online');
    assert.equal(cells[2], ze.zone);
    assert.equal(cells[3], `${ze.networking.address}:${ze.networking.port}`);
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
  const order = await page.$$eval('tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-egress')));
  assert.deepEqual(order, ['zoneegress-2', 'zoneegress-1']);
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

  // Keyboard: Enter on a row's link opens the egress; the back button returns to the table.
  await page.goto(`${mesh.cp.url}/gui/zoneegresses`);
  await page.waitForSelector('tr[data-egress="zoneegress-1"] a');
  await page.focus('tr[data-egress="zoneegress-1"] a');
  await page.keyboard.press('Enter');
  await heading(page, 'Zone egress zoneegress-1');
  assert.equal(new URL(page.url()).pathname, '/gui/zoneegresses/zoneegress-1');
  await page.goBack();
  await heading(page, 'Zone egresses');
  await page.waitForSelector('tr[data-egress="zoneegress-2"]');

  // An egress that stops turns Offline on the open page within 15 s.
  const stoppedAt = Date.now();
  await mesh.stopEgress('zoneegress-2');
  const row = await waitText(page, 'tr[data-egress="zoneegress-2"]', /\bOffline\b/, 15_000);
  assert.ok(Date.now() - stoppedAt <= 15_000, `Offline after ${Date.now() - stoppedAt} ms`);
  assert.match(row, /^zoneegress-2\tOffline\t/);
  assert.match(await textOf(page, 'table.data caption'), /^2 of 2 zone egresses, 1 online$/);
  await shot(page, 'egresses-offline');
  await page.goto(`${mesh.cp.url}/gui`);
  await waitText(page, 'main', /1 online, 1 offline/);
  assert.match(await textOf(page, 'main'), /1 zone egress is offline/);

  assert.deepEqual(problems, []);
});
