/**
 * The primary of `dp run --workers N`: forks N workers (node:cluster, SCHED_NONE, so every worker
 * accepts on the one listening socket itself and the primary never touches a connection), hands
 * each of them the snapshot in force before it listens and every later snapshot after, serves the
 * admin API for all of them, replaces a worker that dies, and drains them all on request.
 *
 * applySnapshot() resolves once every live worker applied the snapshot (or died: its replacement
 * starts with it), so the control-plane session acks a version only when the whole egress runs it.
 */
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger, type Logger } from '../../core/log.js';
import type { AccessLogBackend, EgressSnapshot, UpstreamSettings } from '../../resources/egress-config.js';
import { serveAdmin, type AdminRoutes, type ReadyState } from '../admin.js';
import type { ApplyOptions, ApplyResult, ProxyHandle } from '../egress.js';
import { LineWriters } from '../lines.js';
import { compileSnapshot, redactSnapshot } from '../route-table.js';
import { aggregatePrometheus, mergeClusters, statsLines, sumStatsText } from './aggregate.js';
import { WORKER_ENV, type FromWorker, type ToWorker, type WorkerReport, type WorkerSettings } from './protocol.js';

export interface EgressClusterOptions {
  workers: number;
  address: string;
  port: number;
  adminAddress: string;
  adminPort: number;
  drainTimeMs: number;
  clientHelloTimeoutMs: number;
  /** Client connections each worker holds at once (`--max-connections`). */
  maxConnections?: number;
  /** The workers' log level (their lines are written by the primary, on stderr). */
  logLevel?: string;
  logger?: Logger;
  /** Applied before the workers listen. */
  snapshot?: EgressSnapshot;
  /** `dp run`'s upstream timeouts (a snapshot's `upstream` section overrides them in each worker). */
  upstream?: UpstreamSettings;
  /** ZoneEgress name and `--access-log` backends, for the workers' access logs (files are written here). */
  name?: string;
  accessLog?: AccessLogBackend[];
}

export interface WorkerInfo {
  worker: number;
  pid: number | undefined;
  state: 'starting' | 'running' | 'exited';
  /** Config version the worker runs. */
  version: string | undefined;
  /** Times this slot's worker exited unexpectedly and was replaced. */
  restarts: number;
}

export interface EgressCluster extends ProxyHandle {
  applySnapshot(snapshot: EgressSnapshot, opts?: ApplyOptions): Promise<ApplyResult>;
  state(): ReadyState;
  workers(): WorkerInfo[];
  /** Total unexpected worker exits replaced so far. */
  restarts(): number;
  /** Resolves with the slot's next worker once it listens (tests, after killing one). */
  nextListening(worker: number): Promise<WorkerInfo>;
}

/** A worker that lived shorter than this before dying is restarted with backoff (crash loop). */
const STABLE_MS = 1000;
/** Longest wait before restarting a worker that keeps crashing. */
const MAX_RESTART_DELAY_MS = 5000;

/**
 * Restart backoff of one worker slot: `crashes` counts the slot's consecutive short lives (each
 * under STABLE_MS); the replacement of a worker that ran stably starts at once, one that crash-loops
 * waits 100 ms, 200 ms, 400 ms... up to MAX_RESTART_DELAY_MS, so a worker that cannot start (a bad
 * certificate, no file descriptors left) does not fork hundreds of processes a second.
 */
export function restartBackoff(crashes: number, livedMs: number): { crashes: number; delayMs: number } {
  const n = livedMs < STABLE_MS ? crashes + 1 : 0;
  return { crashes: n, delayMs: n === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** (n - 1)) };
}
const REPORT_TIMEOUT_MS = 5000;

interface Slot {
  n: number;
  worker?: Worker;
  /** The worker said hello and got `init`: later snapshots go to it as `apply`. */
  inited: boolean;
  listening: boolean;
  version: string | undefined;
  /** When the worker reported running `version`. */
  appliedAt: string | undefined;
  startedAt: number;
  restarts: number;
  crashes: number;
  timer?: NodeJS.Timeout;
  fatal?: { message: string; code?: string };
  onListening: Array<() => void>;
  onExit: Array<() => void>;
}

/** The worker entry beside this module (worker-main.ts under tsx in tests, worker-main.js in dist/). */
function workerEntry(): { exec: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const exec = join(dirname(here), `worker-main${ext}`);
  // Keep flags such as --cpu-prof (each worker then writes its own profile), not node:test's.
  const inherited = process.execArgv.filter((a) => !a.startsWith('--test'));
  return { exec, execArgv: ext === '.ts' && !inherited.includes('tsx') ? [...inherited, '--import', 'tsx'] : inherited };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.removeListener('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

export async function startEgressCluster(opts: EgressClusterOptions): Promise<EgressCluster> {
  if (!cluster.isPrimary) throw new Error('an egress worker cannot start workers');
  const log = opts.logger ?? silentLogger();
  // Set before the first setupPrimary()/fork(), which freezes it; round-robin would make the
  // primary accept every connection and pass it on.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ ...workerEntry(), silent: false });

  const writers = new LineWriters();
  let current = opts.snapshot;
  let appliedAt = current ? new Date() : undefined;
  let lastRejection: { version: string; reason: string } | undefined;
  let stopping: 'drain' | 'close' | undefined;
  let restarts = 0;
  let seq = 0;
  let boundPort = 0;
  const pending = new Map<number, { slot: Slot; resolve: (m: FromWorker | undefined) => void }>();
  const slots: Slot[] = Array.from({ length: opts.workers }, (_, i) => ({ n: i + 1, inited: false, listening: false, version: undefined, appliedAt: undefined, startedAt: 0, restarts: 0, crashes: 0, onListening: [], onExit: [] }));

  if (current) {
    const res = compileSnapshot(current);
    const problems = 'problems' in res ? res.problems : res.skipped;
    if (problems.length) throw new Error(`routes snapshot ${current.version} rejected: ${problems.join('; ')}`);
  }

  const settings = (n: number): WorkerSettings => ({
    worker: n,
    address: opts.address,
    port: opts.port,
    drainTimeMs: opts.drainTimeMs,
    clientHelloTimeoutMs: opts.clientHelloTimeoutMs,
    maxConnections: opts.maxConnections,
    logLevel: opts.logLevel ?? 'info',
    upstream: opts.upstream,
    name: opts.name,
    accessLog: opts.accessLog,
  });

  const post = (s: Slot, m: ToWorker) => {
    if (s.worker?.isConnected()) s.worker.send(m);
  };

  /**
   * Sends a request and resolves with the answer, or undefined when the worker exits (or, with a
   * timeout, hangs: a stats report must not hang the admin API; an apply waits, since acking a
   * version a stopped worker does not run would be a lie).
   */
  const ask = (s: Slot, make: (seq: number) => ToWorker, timeoutMs?: number): Promise<FromWorker | undefined> =>
    new Promise((resolve) => {
      const id = ++seq;
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => settle(undefined), timeoutMs);
      const settle = (m: FromWorker | undefined) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(m);
      };
      pending.set(id, { slot: s, resolve: settle });
      post(s, make(id));
    });

  const fork = (s: Slot) => {
    s.timer = undefined;
    s.inited = false;
    s.listening = false;
    s.version = undefined;
    s.appliedAt = undefined;
    s.fatal = undefined;
    s.startedAt = Date.now();
    const w = cluster.fork({ [WORKER_ENV]: JSON.stringify(settings(s.n)) });
    s.worker = w;
    w.on('message', (m: FromWorker) => onMessage(s, w, m));
    w.on('exit', (code: number | null, signal: string | null) => onExit(s, w, code, signal));
    // An IPC error (the worker died mid-send) is followed by 'exit'; nothing else to do.
    w.on('error', () => undefined);
  };

  const onMessage = (s: Slot, w: Worker, m: FromWorker) => {
    if (m.t === 'lines') return writers.write(m.destination, m.data);
    if (s.worker !== w) return;
    switch (m.t) {
      case 'hello':
        // A worker forked just before a drain or close (a replacement) may have missed the stop
        // message, sent before it listened for messages: it gets the stop now instead of routes,
        // or it would start serving and the primary would wait for its exit forever.
        if (stopping) return post(s, { t: stopping });
        s.inited = true;
        return post(s, { t: 'init', snapshot: current });
      case 'listening': {
        s.listening = true;
        s.version = m.version;
        s.appliedAt = new Date().toISOString();
        boundPort ||= m.port;
        const waiters = s.onListening.splice(0);
        for (const f of waiters) f();
        return;
      }
      case 'fatal':
        s.fatal = { message: m.message, code: m.code };
        return;
      case 'applied':
        if (m.ok) {
          s.version = m.version;
          s.appliedAt = new Date().toISOString();
        }
        return pending.get(m.seq)?.resolve(m);
      case 'stats':
      case 'failed':
        return pending.get(m.seq)?.resolve(m);
      case 'drained':
        return;
    }
  };

  const onExit = (s: Slot, w: Worker, code: number | null, signal: string | null) => {
    if (s.worker !== w) return;
    s.worker = undefined;
    s.inited = false;
    s.listening = false;
    for (const p of [...pending.values()]) if (p.slot === s) p.resolve(undefined);
    const waiters = s.onExit.splice(0);
    for (const f of waiters) f();
    if (stopping || !started) return;
    restarts++;
    s.restarts++;
    const lived = Date.now() - s.startedAt;
    const backoff = restartBackoff(s.crashes, lived);
    s.crashes = backoff.crashes;
    const delay = backoff.delayMs;
    log.warn({ worker: s.n, pid: w.process.pid, code, signal, restartInMs: delay }, 'egress worker exited; starting a replacement with the current config');
    s.timer = setTimeout(() => fork(s), delay);
  };

  const waitListening = (s: Slot): Promise<void> =>
    new Promise((resolve, reject) => {
      if (s.listening) return resolve();
      s.onListening.push(resolve);
      s.onExit.push(() => {
        const e = new Error(s.fatal?.message ?? `egress worker ${s.n} exited before listening`) as NodeJS.ErrnoException;
        if (s.fatal?.code) e.code = s.fatal.code;
        reject(e);
      });
    });

  const waitExit = (s: Slot): Promise<void> => new Promise((resolve) => (s.worker ? s.onExit.push(resolve) : resolve()));

  let started = false;
  for (const s of slots) fork(s);
  try {
    await Promise.all(slots.map(waitListening));
  } catch (err) {
    stopping = 'close';
    for (const s of slots) s.worker?.process.kill('SIGKILL');
    await Promise.all(slots.map(waitExit));
    throw err;
  }
  started = true;

  const workers = (): WorkerInfo[] => slots.map((s) => ({ worker: s.n, pid: s.worker?.process.pid, state: s.listening ? 'running' : s.worker ? 'starting' : 'exited', version: s.version, restarts: s.restarts }));
  const state = (): ReadyState => (stopping ? 'TERMINATING' : current ? 'READY' : 'INITIALIZING');
  const lagging = () => slots.filter((s) => !s.listening || s.version !== current?.version);

  const reports = async (): Promise<Array<{ slot: Slot; report: WorkerReport }>> => {
    const live = slots.filter((s) => s.listening);
    const answers = await Promise.all(live.map((s) => ask(s, (id) => ({ t: 'stats', seq: id }), REPORT_TIMEOUT_MS)));
    return answers.flatMap((m, i) => (m?.t === 'stats' ? [{ slot: live[i], report: m }] : []));
  };

  const routes: AdminRoutes = {
    ready: () => {
      const st = state();
      if (st !== 'READY') return { ok: false, text: st };
      const behind = lagging();
      if (behind.length === 0) return { ok: true, text: st };
      return { ok: false, text: `INITIALIZING (waiting for worker ${behind.map((s) => s.n).join(', ')} to run config ${current?.version})` };
    },
    stats: async () => {
      const rs = await reports();
      const summed = sumStatsText(rs.map((r) => r.report.text));
      const head: Array<[string, string | number]> = [
        ['state', state()],
        ['config_version', current?.version ?? ''],
      ];
      const tail: Array<[string, string | number]> = [
        ['workers', slots.filter((s) => s.listening).length],
        ['worker_restarts', restarts],
      ];
      for (const { slot, report } of rs) {
        const active = Object.values(report.stats.routes).reduce((a, r) => a + r.active, 0);
        tail.push([`worker.${slot.n}.downstream_cx_total`, report.stats.accepted], [`worker.${slot.n}.cx_active`, active], [`worker.${slot.n}.config_version`, report.version ?? '']);
      }
      return statsLines([...head, ...summed, ...tail]);
    },
    prometheus: async () => {
      const rs = await reports();
      const series = rs.map(({ slot, report }) => ({ worker: slot.n, accepted: report.stats.accepted, active: Object.values(report.stats.routes).reduce((a, r) => a + r.active, 0), version: report.version }));
      const registry = aggregatePrometheus(
        rs.map((r) => r.report.prometheus),
        series,
        restarts,
      );
      return { type: registry.contentType, body: await registry.metrics() };
    },
    configDump: () => {
      return {
        version: current?.version ?? null,
        appliedAt: appliedAt?.toISOString() ?? null,
        lastRejected: lastRejection ?? null,
        snapshot: current ? redactSnapshot(current) : null,
        workers: workers().map((w) => ({ ...w, appliedAt: slots[w.worker - 1].appliedAt ?? null })),
      };
    },
    clusters: async () => mergeClusters((await reports()).map((r) => r.report.clusters)),
  };
  const admin = serveAdmin(routes);
  let adminPort: number;
  try {
    adminPort = await listen(admin, opts.adminPort, opts.adminAddress);
  } catch (err) {
    stopping = 'close';
    for (const s of slots) post(s, { t: 'close' });
    await Promise.all(slots.map(waitExit));
    throw err;
  }
  const closeAdmin = async () => {
    admin.closeAllConnections();
    await new Promise<void>((r) => admin.close(() => r()));
  };

  // All workers ask for the same address and port: with port 0 they share the one the first bind picked.
  const port = boundPort;
  log.info({ address: opts.address, port, adminAddress: opts.adminAddress, adminPort, workers: opts.workers }, 'egress listening');

  /** Checked here first (the same compile the workers run), so a snapshot no worker can use never reaches them. */
  const applySnapshot = async (snapshot: EgressSnapshot, applyOpts: ApplyOptions = {}): Promise<ApplyResult> => {
    const version = typeof snapshot?.version === 'string' ? snapshot.version : '';
    const res = compileSnapshot(snapshot);
    const problems = 'problems' in res ? res.problems : applyOpts.partial ? [] : res.skipped;
    if (problems.length) {
      const reason = problems.join('; ');
      lastRejection = { version, reason };
      log.warn({ version, reason }, 'rejected routes snapshot; keeping the previous one');
      return { ok: false, version, reason };
    }
    const skipped = 'skipped' in res ? res.skipped : [];
    current = snapshot;
    appliedAt = new Date();
    if (skipped.length) lastRejection = { version, reason: `applied without what could not be used: ${skipped.join('; ')}` };
    // Workers still starting got (or will get) this snapshot in their `init`.
    const targets = slots.filter((s) => s.inited);
    const answers = await Promise.all(targets.map((s) => ask(s, (id) => ({ t: 'apply', seq: id, snapshot, partial: applyOpts.partial }))));
    const refused = answers.map((m, i) => ({ m, s: targets[i] })).find((a) => a.m?.t === 'applied' && !a.m.ok);
    if (refused && refused.m?.t === 'applied') {
      const reason = `worker ${refused.s.n}: ${refused.m.reason ?? 'rejected'}`;
      lastRejection = { version, reason };
      return { ok: false, version, reason };
    }
    log.info({ version, routes: snapshot.routes.length, workers: targets.length }, 'applied routes snapshot on every worker');
    return skipped.length ? { ok: true, version, skipped } : { ok: true, version };
  };

  const stopAll = async (how: 'drain' | 'close', graceMs: number) => {
    stopping = how;
    for (const s of slots) {
      clearTimeout(s.timer);
      post(s, { t: how });
    }
    const kill = setTimeout(() => {
      for (const s of slots) if (s.worker) log.warn({ worker: s.n }, 'egress worker did not stop in time; killing it');
      for (const s of slots) s.worker?.process.kill('SIGKILL');
    }, graceMs);
    await Promise.all(slots.map(waitExit));
    clearTimeout(kill);
    await closeAdmin();
    await writers.close();
  };
  let stopped: Promise<void> | undefined;

  return {
    address: opts.address,
    port,
    adminAddress: opts.adminAddress,
    adminPort,
    applySnapshot,
    snapshot: () => current,
    state,
    workers,
    restarts: () => restarts,
    nextListening: (n) => {
      const s = slots[n - 1];
      return new Promise((resolve) => {
        const wait = () => s.onListening.push(() => resolve(workers()[n - 1]));
        if (s.worker && !s.listening) wait();
        else s.onExit.push(wait);
      });
    },
    reopenLogs: () => writers.reopen(),
    drain: () => {
      log.info({ drainTimeMs: opts.drainTimeMs, workers: slots.length }, 'draining: every worker stops accepting');
      return (stopped ??= stopAll('drain', opts.drainTimeMs + 10_000));
    },
    close: () => (stopped ??= stopAll('close', 5000)),
  };
}
