/**
 * One egress worker of `dp run --workers N` (see protocol.ts): the whole data path on the listening
 * socket it shares with the other workers (cluster, SCHED_NONE: the kernel hands each accept to
 * one of them), no admin server, routes only from the primary. Its logs and access-log lines go
 * to the primary, which writes them whole.
 */
import { createLogger, type Logger } from '../../core/log.js';
import { clusters, configDump } from '../admin.js';
import { startEgress, type EgressHandle } from '../egress.js';
import { IpcLineSinks, type LinesMessage } from '../lines.js';
import { WORKER_ENV, type FromWorker, type ToWorker, type WorkerSettings } from './protocol.js';

function send(m: FromWorker, done?: () => void): void {
  // The channel is gone when the primary died; the 'disconnect' handler ends this worker.
  if (!process.connected) return done?.();
  process.send!(m, undefined, undefined, done ? () => done() : undefined);
}

export async function runEgressWorker(): Promise<void> {
  if (!process.send || !process.env[WORKER_ENV]) throw new Error(`the egress worker runs only under 'zonectl dp run --workers N' (no IPC channel or ${WORKER_ENV})`);
  const settings = JSON.parse(process.env[WORKER_ENV]) as WorkerSettings;
  const lines = new IpcLineSinks((m: LinesMessage, done) => send(m, done));
  const log: Logger = createLogger('egress', { level: settings.logLevel, destination: lines.stream('stderr') as unknown as NodeJS.WritableStream }).child({ worker: settings.worker });
  let egress: EgressHandle | undefined;
  let exiting = false;

  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    lines.flush(() => send({ t: 'drained' }, () => process.exit(code)));
  };
  const drain = async () => {
    await egress?.drain();
    exit(0);
  };

  const handle = async (m: ToWorker): Promise<void> => {
    switch (m.t) {
      case 'init': {
        try {
          egress = await startEgress({
            address: settings.address,
            port: settings.port,
            adminPort: 0,
            serveAdmin: false,
            drainTimeMs: settings.drainTimeMs,
            clientHelloTimeoutMs: settings.clientHelloTimeoutMs,
            maxConnections: settings.maxConnections,
            upstream: settings.upstream,
            name: settings.name,
            accessLog: settings.accessLog,
            logger: log,
            snapshot: m.snapshot,
            snapshotPartial: true,
            lines: lines.sinks(),
          });
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          lines.flush(() => send({ t: 'fatal', message: e.message, code: e.code }, () => process.exit(1)));
          return;
        }
        return send({ t: 'listening', port: egress.port, version: egress.snapshot()?.version });
      }
      case 'apply': {
        const res = egress!.applySnapshot(m.snapshot, { partial: m.partial });
        return send({ t: 'applied', seq: m.seq, ok: res.ok, version: res.version, ...(res.ok ? { skipped: res.skipped } : { reason: res.reason }) });
      }
      case 'stats': {
        const e = egress!;
        const src = e.adminSource;
        return send({
          t: 'stats',
          seq: m.seq,
          state: e.state(),
          version: e.snapshot()?.version,
          appliedAt: configDump(src).appliedAt ?? undefined,
          stats: e.stats(),
          text: e.metrics.text({}),
          prometheus: await e.metrics.registry.getMetricsAsJSON(),
          clusters: clusters(src),
        });
      }
      case 'drain':
        return drain();
      case 'close':
        await egress?.close();
        return exit(0);
    }
  };
  // One message at a time, in order: an apply never overtakes the init it follows. A request
  // (apply, stats) is always answered, also when handling it failed: the primary waits for every
  // worker's answer to an apply (no timeout: acking a version a worker does not run would be a lie),
  // so a silent failure here would hold the control-plane ack and a routes-file reload forever.
  let queue = Promise.resolve();
  process.on('message', (m: ToWorker) => {
    queue = queue
      .then(() => handle(m))
      .catch((err: Error) => {
        log.error({ err: err.message, message: m.t }, 'egress worker failed to handle a message from the primary');
        if (m.t === 'apply') send({ t: 'applied', seq: m.seq, ok: false, version: m.snapshot?.version ?? '', reason: `worker ${settings.worker} failed to apply it: ${err.message}` });
        else if (m.t === 'stats') send({ t: 'failed', seq: m.seq, message: err.message });
      });
  });
  // The primary decides when to reload and drain. SIGINT/SIGHUP reach the whole process group
  // (Ctrl-C, a terminal hang-up): the primary handles them. A SIGTERM sent to this worker alone drains it.
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  // Access log files belong to the primary, which reopens them on SIGUSR1.
  process.on('SIGUSR1', () => undefined);
  process.on('SIGTERM', () => void drain());
  // The primary is gone (killed): nobody feeds routes or reads stats any more; stop now.
  process.on('disconnect', () => {
    void egress?.close().finally(() => process.exit(0));
    if (!egress) process.exit(0);
  });
  send({ t: 'hello' });
}
