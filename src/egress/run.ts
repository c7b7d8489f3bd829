/**
 * `zonectl dp run --proxy-type=egress`: resolve where to listen (ZoneEgress dataplane file, flag
 * overrides), start the proxy, feed it routes, and live until SIGTERM/SIGINT (drain, then return).
 * Routes come from a static file (reloaded on SIGHUP and on change) or, with --cp-address, from the
 * control plane's dp-server (cp-session-run.ts: bootstrap with the zone token, then the snapshot stream).
 */
import { unwatchFile, watch, watchFile, type FSWatcher, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError, ValidationError, isZonectlError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ProxyHandle } from './egress.js';
import { runEgressFromControlPlane, type EgressListenOptions } from './cp-session-run.js';
import { reopenOnSigusr1 } from './lines.js';
import { startProxy } from './proxy.js';
import { loadRoutesFile } from './routes-file.js';

export const DEFAULT_PORT = 10002; // Kuma's default ZoneEgress port
export const DEFAULT_ADMIN_PORT = 9901;
/** Stat interval of the routes file when it cannot be watched (see watchRoutes). */
const POLL_MS = 1000;

export interface RunEgressOptions extends EgressListenOptions {
  routesFile?: string;
  cpAddress?: string;
  dataplaneFile?: string;
  dataplaneTokenFile?: string;
  /** `--dataplane-var k=v` values for `{{ k }}` templates in the dataplane file (control-plane mode). */
  dataplaneVars?: Record<string, string>;
  /** CA that signed the dp-server's certificate (`<data-dir>/dp-server/ca.crt` of the control plane). */
  caCertFile?: string;
  skipVerify?: boolean;
  /** zonectl version, reported to the control plane (ZoneEgressInsight). */
  version?: string;
  /** Resolves the run early (tests); production waits for signals. */
  stop?: AbortSignal;
}

export interface Listening {
  /** ZoneEgress name (from the dataplane file), when there is one. */
  name?: string;
  address: string;
  port: number;
  adminAddress: string;
  adminPort: number;
}

/** `networking` of a ZoneEgress resource file (Universal YAML). */
export async function readDataplaneFile(path: string): Promise<{ address?: string; port?: number; adminPort?: number; name?: string }> {
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`cannot read dataplane file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass a ZoneEgress YAML with --dataplane-file`);
  }
  if (!doc || typeof doc !== 'object' || doc.type !== 'ZoneEgress') {
    throw new ValidationError(`dataplane file ${path} is not a ZoneEgress (type: ${String((doc as Record<string, unknown> | null)?.type)})`, [{ field: 'type', message: 'must be ZoneEgress' }]);
  }
  const net = (doc.networking ?? {}) as { address?: unknown; port?: unknown; admin?: { port?: unknown } };
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return { name: typeof doc.name === 'string' ? doc.name : undefined, address: typeof net.address === 'string' ? net.address : undefined, port: num(net.port), adminPort: num(net.admin?.port) };
}

/** Runs the egress until a termination signal (or opts.stop); the returned promise settles after the drain. */
export async function runEgress(opts: RunEgressOptions, onListening?: (l: Listening) => void): Promise<void> {
  const log = opts.logger;
  if (!opts.routesFile && !opts.cpAddress) {
    throw new UsageError('no routes source: pass --routes-file F (static routes) or --cp-address URL (control plane)');
  }
  if (opts.cpAddress) return runFromControlPlane(opts, opts.cpAddress, onListening);
  const dp = opts.dataplaneFile ? await readDataplaneFile(opts.dataplaneFile) : {};
  const routesFile = resolve(opts.routesFile!);
  const snapshot = await loadRoutesFile(routesFile);
  const egress = await startProxy({
    workers: opts.workers ?? 1,
    address: opts.address ?? dp.address ?? '127.0.0.1',
    port: opts.port ?? dp.port ?? DEFAULT_PORT,
    adminAddress: opts.adminAddress ?? '127.0.0.1',
    adminPort: opts.adminPort ?? dp.adminPort ?? DEFAULT_ADMIN_PORT,
    drainTimeMs: opts.drainTimeMs,
    clientHelloTimeoutMs: opts.clientHelloTimeoutMs,
    maxConnections: opts.maxConnections,
    upstream: opts.upstream,
    logger: log,
    snapshot,
    name: dp.name ?? hostname(),
    accessLog: opts.accessLog,
  });
  onListening?.({ name: dp.name, address: egress.address, port: egress.port, adminAddress: egress.adminAddress, adminPort: egress.adminPort });
  const stopWatching = watchRoutes(routesFile, egress, log);
  const stopReopening = reopenOnSigusr1(() => egress.reopenLogs());
  try {
    await untilTerminated(opts.stop, log);
  } finally {
    stopWatching();
    stopReopening();
  }
  await egress.drain();
  log.info('drained; exiting');
}

async function runFromControlPlane(opts: RunEgressOptions, cpAddress: string, onListening?: (l: Listening) => void): Promise<void> {
  if (!opts.dataplaneFile) throw new UsageError('--cp-address needs --dataplane-file: the ZoneEgress this proxy registers as');
  if (!opts.dataplaneTokenFile) throw new UsageError('--cp-address needs --dataplane-token-file: a zone token with the egress scope (zonectl generate zone-token --scope egress)');
  if (opts.skipVerify) opts.logger.warn('--skip-verify: the dp-server certificate is not checked; anyone on the path can impersonate the control plane');
  await runEgressFromControlPlane(
    { ...opts, cpAddress, tokenFile: opts.dataplaneTokenFile, dataplaneFile: opts.dataplaneFile, version: opts.version ?? 'unknown' },
    ({ egress, resource }) => onListening?.({ name: resource.name, address: egress.address, port: egress.port, adminAddress: egress.adminAddress, adminPort: egress.adminPort }),
  );
}

function untilTerminated(stop: AbortSignal | undefined, log: Logger): Promise<void> {
  return new Promise((resolveDone) => {
    const done = (why: string) => {
      process.removeListener('SIGTERM', onTerm);
      process.removeListener('SIGINT', onInt);
      log.info({ signal: why }, 'terminating: draining connections');
      resolveDone();
    };
    const onTerm = () => done('SIGTERM');
    const onInt = () => done('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    stop?.addEventListener('abort', () => done('stop'), { once: true });
  });
}

/** Reloads on SIGHUP and when the file changes (the directory is watched: editors replace files by rename). */
function watchRoutes(path: string, egress: ProxyHandle, log: Logger): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const reload = (why: string) => {
    running = running.then(async () => {
      try {
        const snapshot = await loadRoutesFile(path);
        if (snapshot.version === egress.snapshot()?.version) return;
        const res = await egress.applySnapshot(snapshot);
        if (res.ok) log.info({ version: res.version, trigger: why }, 'routes file reloaded');
      } catch (err) {
        log.error({ trigger: why, err: isZonectlError(err) ? err.message : String(err) }, 'routes file reload failed; keeping the previous routes');
      }
    });
  };
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  const changed = () => {
    clearTimeout(timer);
    // Coalesce the bursts of events one save produces.
    timer = setTimeout(() => reload('file change'), 100);
  };
  let watcher: FSWatcher | undefined;
  let polling = false;
  const poll = (curr: Stats, prev: Stats) => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino) changed();
  };
  // inotify instances are a per-user limit (fs.inotify.max_user_instances, 128 by default) shared
  // by every process of that user: when they run out (EMFILE), or the watch dies later, the file is
  // polled instead, so that a change is still picked up (within a second) rather than never.
  const fallBack = (err: Error) => {
    watcher?.close();
    watcher = undefined;
    if (polling) return;
    polling = true;
    log.warn({ err: err.message }, 'cannot watch the routes file directory; polling the routes file every second instead');
    watchFile(path, { interval: POLL_MS }, poll);
  };
  try {
    watcher = watch(dirname(path), (_event, name) => {
      if (name === basename(path)) changed();
    });
    watcher.on('error', fallBack);
  } catch (err) {
    fallBack(err as Error);
  }
  // The egress said it listens before this watch existed: a change saved in between (a preempted
  // process, a script that edits the file as soon as the port answers) raised no event. Reload
  // once now; it does nothing when the file is still what was loaded.
  changed();
  return () => {
    process.removeListener('SIGHUP', onHup);
    clearTimeout(timer);
    watcher?.close();
    if (polling) unwatchFile(path, poll);
  };
}
