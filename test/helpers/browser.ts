/**
 * A real headless Chromium for the web view's tests, driven by puppeteer-core (which downloads
 * nothing). It uses an installed Chromium ($CHROMIUM_PATH, then the usual paths); when there is
 * none and this is a Debian-like machine where we are root (CI here), it installs Debian's
 * `chromium` package with apt-get once; otherwise it fails saying how to get one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import puppeteer, { type Browser } from 'puppeteer-core';
import { ROOT } from './cli.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Screenshots and other artefacts of browser tests (ignored by git). */
export const TEST_OUTPUT = join(ROOT, 'test-output');

export function findChromium(): string | undefined {
  const env = process.env.CHROMIUM_PATH;
  if (env) {
    if (!existsSync(env)) throw new Error(`CHROMIUM_PATH=${env} does not exist; unset it or point it at a Chromium binary`);
    return env;
  }
  return CANDIDATES.find((p) => existsSync(p));
}

let installed: string | undefined;

export function ensureChromium(): string {
  const found = installed ?? findChromium();
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    const run = (args: string[]) => spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
    const update = run(['update', '-qq']);
    const install = update.status === 0 ? run(['install', '-y', '-qq', 'chromium']) : update;
    installed = findChromium();
    if (installed) return installed;
    throw new Error(`no Chromium found, and 'apt-get install -y chromium' failed (${install.status}): ${String(install.stderr).trim().slice(-500)}`);
  }
  throw new Error(
    `the web view's browser tests need Chromium: install it (Debian/Ubuntu: 'sudo apt-get install chromium'), or set CHROMIUM_PATH to a Chromium or Chrome binary; looked in ${CANDIDATES.join(', ')}`,
  );
}

/** Launches headless Chromium with a throw-away profile; closed by t.after. */
export async function launchBrowser(t: Pick<TestContext, 'after'>): Promise<Browser> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'zonectl-chromium-'));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir: profile,
    // No sandbox: tests run as root in CI. The network flags keep Chromium from calling home
    // (this machine's network is closed; each refused connection is noise and time).
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions', '--mute-audio'],
    defaultViewport: { width: 1280, height: 800 },
  });
  t.after(async () => {
    await browser.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  });
  return browser;
}

export function outputDir(...parts: string[]): string {
  const dir = join(TEST_OUTPUT, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
