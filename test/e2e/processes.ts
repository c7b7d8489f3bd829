/**
 * Separate processes for the end-to-end tests: the control plane and egresses run as the user
 * runs them (`node bin/run.js ...`), and the tests wait for the lines and endpoints they need.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { BIN, ROOT } from '../helpers/cli.js';
import { waitForOutput } from '../helpers/eventually.js';

export interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching re (rejects if the process exits first). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export function spawnZonectl(t: Pick<TestContext, 'after'>, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ZONECTL_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters.splice(0)) w();
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!done) child.kill(signal);
    return exited;
  };
  t.after(() => stop('SIGKILL'));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop,
    waitFor(re, timeoutMs = 20_000) {
      return waitForOutput({ stdout: () => out, stderr: () => err, exited: () => done, waiters }, `zonectl ${args.join(' ')}`, re, timeoutMs);
    },
  };
}

/** A port that was free a moment ago (for restarts that must come back on the same port). */
export async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export { eventually } from '../helpers/eventually.js';
