/**
 * A full disk under the SQLite store: a PUT is a 507 problem saying so (not a 500, not a crash),
 * DELETE still works, and writes come back once there is room. Two ways to fill it: SQLite's
 * max_page_count (anywhere, CI included), and a real small tmpfs where this machine lets the
 * test mount one (root with CAP_SYS_ADMIN).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openSqliteStore } from '../../../src/control-plane/store/sqlite.js';
import { request, startTestControlPlane, type HttpResult } from '../../helpers/cp.js';
import { tmpDir } from '../../helpers/tmp.js';

const big = (name: string) => ({ type: 'Mesh', name, labels: { padding: 'x'.repeat(30_000) } });

function put(url: string, name: string): Promise<HttpResult> {
  return request(`${url}/meshes/${name}`, { method: 'PUT', body: big(name) });
}

async function fill(url: string): Promise<{ stored: string[]; full: HttpResult }> {
  const stored: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const res = await put(url, `m${i}`);
    if (res.status !== 201) return { stored, full: res };
    stored.push(`m${i}`);
  }
  throw new Error('the store never filled up');
}

function assertFullProblem(res: HttpResult, file: string): void {
  assert.equal(res.status, 507, res.text);
  const p = res.json as { status: number; detail: string };
  assert.equal(p.status, 507);
  assert.equal(
    p.detail,
    `the disk holding ${file} is full: the write was not stored. Free space on that disk, or delete resources (their space goes back to the disk); until then the control plane accepts only deletes`,
  );
}

test('a full store (max_page_count): PUT is a 507 saying the disk is full, DELETE works, and the space is reused', async (t) => {
  const path = join(tmpDir(t), 'store.db');
  const store = openSqliteStore({ path, maxPageCount: 200 });
  const cp = await startTestControlPlane(t, { store });
  const { stored, full } = await fill(cp.url);
  assert.ok(stored.length > 3, `stored ${stored.length}`);
  assertFullProblem(full, path);
  assertFullProblem(await put(cp.url, 'again'), path);
  for (const name of stored.slice(0, 3)) assert.equal((await request(`${cp.url}/meshes/${name}`, { method: 'DELETE' })).status, 200, name);
  assert.equal((await put(cp.url, 'again')).status, 201, 'the pages of the deleted meshes are used again');
  assert.equal((await request(`${cp.url}/meshes`)).status, 200, 'the control plane serves on');
});

/** A 24 MiB tmpfs, or undefined when this machine does not let the test mount one. */
function smallDisk(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'zonectl-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

const disk = smallDisk();

test('a really full disk (tmpfs): PUT is a 507, every DELETE goes through, writes resume once space is freed', { skip: disk ? false : 'needs root and mount -t tmpfs' }, async (t) => {
  const dir = disk!;
  const unmount = () => {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  };
  const path = join(dir, 'store.db');
  // The store and its 4 MiB reserve, then a file that takes all but ~6 MiB of what is left.
  const store = openSqliteStore({ path });
  assert.equal(statSync(`${path}.reserve`).size, 4 * 1024 * 1024);
  const free = Number(execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).split('\n')[1]);
  writeFileSync(join(dir, 'filler'), Buffer.alloc(free - 6 * 1024 * 1024));
  let cp;
  try {
    cp = await startTestControlPlane(t, { store });
  } catch (err) {
    await store.close();
    unmount();
    throw err;
  }
  // Registered after the control plane's own teardown, so it runs once the store is closed.
  t.after(unmount);
  const { stored, full } = await fill(cp.url);
  assertFullProblem(full, path);
  for (const name of stored) assert.equal((await request(`${cp.url}/meshes/${name}`, { method: 'DELETE' })).status, 200, name);
  rmSync(join(dir, 'filler'));
  assert.equal((await put(cp.url, 'again')).status, 201);
  assert.equal(statSync(`${path}.reserve`).size, 4 * 1024 * 1024, 'the reserve is laid aside again');
});
