/**
 * Messages between the egress primary and its workers (`dp run --workers N`), over the cluster
 * IPC channel (JSON). The primary holds the routes source (control-plane session or routes file)
 * and the admin server; each worker runs the whole data path on the shared listening socket.
 *
 * A worker starts with its settings in ZONECTL_EGRESS_WORKER (WorkerSettings), says `hello`, gets
 * `init` with the snapshot in force (so it never accepts a connection without routes that the
 * others have), listens, and says `listening`. Every later snapshot comes as `apply`, answered by
 * `applied`; `stats` is answered by `stats`; `drain` ends with `drained` and exit 0.
 */
import type { AccessLogBackend, EgressSnapshot, UpstreamSettings } from '../../resources/egress-config.js';
import type { ClusterInfo, ReadyState } from '../admin.js';
import type { EgressStats } from '../egress.js';
import type { LinesMessage } from '../lines.js';

export const WORKER_ENV = 'ZONECTL_EGRESS_WORKER';

export interface WorkerSettings {
  /** Slot number, 1..N; a replacement keeps the slot of the worker it replaces. */
  worker: number;
  address: string;
  /** As requested (0 too): every worker must ask the same, so that all share one socket. */
  port: number;
  drainTimeMs: number;
  clientHelloTimeoutMs: number;
  maxConnections?: number;
  logLevel: string;
  upstream?: UpstreamSettings;
  name?: string;
  /** `--access-log` backends (their lines travel to the primary, except TCP ones). */
  accessLog?: AccessLogBackend[];
}

export type ToWorker =
  | { t: 'init'; snapshot?: EgressSnapshot }
  | { t: 'apply'; seq: number; snapshot: EgressSnapshot; partial?: boolean }
  | { t: 'stats'; seq: number }
  | { t: 'drain' }
  | { t: 'close' };

export interface WorkerReport {
  state: ReadyState;
  version?: string;
  appliedAt?: string;
  stats: EgressStats;
  /** The worker's /stats text (summed line by line by the primary). */
  text: string;
  /** prom-client getMetricsAsJSON() of the worker's registry. */
  prometheus: unknown[];
  clusters: ClusterInfo[];
}

export type FromWorker =
  | { t: 'hello' }
  | { t: 'listening'; port: number; version?: string }
  | { t: 'fatal'; message: string; code?: string }
  | { t: 'applied'; seq: number; ok: boolean; version: string; reason?: string; skipped?: string[] }
  | ({ t: 'stats'; seq: number } & WorkerReport)
  | { t: 'drained' }
  /** A request (`stats`) the worker could not handle: the primary stops waiting for it. */
  | { t: 'failed'; seq: number; message: string }
  | LinesMessage;
