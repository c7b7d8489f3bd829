import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../helpers/cli.js';
import { request, startTestControlPlane } from '../../helpers/cp.js';

test('GET / reports the GUI path; /gui serves the built page with a same-origin-only CSP', async (t) => {
  const cp = await startTestControlPlane(t, { options: { dpServer: false } });
  const index = await request(`${cp.url}/`);
  assert.equal((index.json as { gui: string }).gui, '/gui');

  const page = await request(`${cp.url}/gui`);
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.text, /<script type="module" src="\/gui\/assets\/app\.js"><\/script>/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'; .*connect-src 'self'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');

  // Any view path is the page itself (deep links, reload); the assets are what they say.
  for (const path of ['/gui/', '/gui/zoneegresses', '/gui/zoneegresses/ze-1/config-dump', '/gui/meshes/default']) {
    const r = await request(`${cp.url}${path}`);
    assert.equal(r.status, 200, path);
    assert.equal(r.text, page.text, path);
  }
  const js = await request(`${cp.url}/gui/assets/app.js`);
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /^text\/javascript/);
  const again = await request(`${cp.url}/gui/assets/app.js`, { headers: { 'if-none-match': String(js.headers.etag) } });
  assert.equal(again.status, 304);

  const missing = await request(`${cp.url}/gui/assets/app-old.js`);
  assert.equal(missing.status, 404);
  assert.equal((missing.json as { detail: string }).detail, 'no file assets/app-old.js in the web view; reload the page (the control plane may have been upgraded)');
});

test('the GUI is public like the API reads, answers only GET, and can be turned off', async (t) => {
  const cp = await startTestControlPlane(t, { options: { dpServer: false } });
  // Not from localhost and without a token: still served (it is read-only and holds no data).
  const remote = await request(`${cp.url}/gui`, { localAddress: '127.0.0.2' });
  assert.equal(remote.status, 200);
  const post = await request(`${cp.url}/gui`, { method: 'POST', body: {} });
  assert.equal(post.status, 405);

  const off = await startTestControlPlane(t, { options: { dpServer: false, gui: false } });
  assert.equal(((await request(`${off.url}/`)).json as { gui: string }).gui, '');
  assert.equal((await request(`${off.url}/gui`)).status, 404);
});

test('a control plane whose web view is not built says how to build it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zonectl-gui-empty-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'app.js'), '');
  const cp = await startTestControlPlane(t, { options: { dpServer: false, guiDir: dir } });
  const r = await request(`${cp.url}/gui/zoneegresses`);
  assert.equal(r.status, 503);
  assert.match((r.json as { detail: string }).detail, /^the web view is not built \(no index\.html in .*\); run 'npm run build' and restart the control plane$/);
  assert.equal((await request(`${cp.url}/zoneegresses`)).status, 200);
});

test('the built web view stays within its size budget', () => {
  const sizes = JSON.parse(readFileSync(join(ROOT, 'dist', 'web-sizes.json'), 'utf8')) as { gzipTotal: number };
  assert.ok(sizes.gzipTotal > 1000 && sizes.gzipTotal < 200 * 1024, `gzipped total ${sizes.gzipTotal}`);
});
