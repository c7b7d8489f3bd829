/**
 * Starts the egress as `dp run` runs it: in this process (`--workers 1`), or as a primary with
 * workers that share the listening socket (`--workers N`, workers/primary.ts). Both come back as a
 * ProxyHandle, so the routes sources (routes file, control-plane session) do not know which runs.
 */
import { availableParallelism } from 'node:os';
import { UsageError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AccessLogBackend, EgressSnapshot, UpstreamSettings } from '../resources/egress-config.js';
import { startEgress, type ProxyHandle } from './egress.js';
import { startEgressCluster } from './workers/primary.js';

export interface ProxyOptions {
  /** Worker processes; 1 = no workers, the proxy runs in this process. */
  workers: number;
  address: string;
  port: number;
  adminAddress: string;
  adminPort: number;
  drainTimeMs: number;
  clientHelloTimeoutMs: number;
  /** Client connections each process (this one, or each worker) holds at once. */
  maxConnections?: number;
  logger: Logger;
  snapshot?: EgressSnapshot;
  upstream?: UpstreamSettings;
  /** ZoneEgress name (access log lines) and `--access-log` backends. */
  name?: string;
  accessLog?: AccessLogBackend[];
}

/** `--workers` value: a positive integer, or `auto` (the CPUs this process may use). */
export function parseWorkers(input: string): number {
  if (input === 'auto') return availableParallelism();
  const n = Number(input);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new UsageError(`--workers ${input}: not a worker count (a whole number from 1, or auto for one per available CPU: ${availableParallelism()} here)`);
  return n;
}

export async function startProxy(opts: ProxyOptions): Promise<ProxyHandle> {
  const { workers, ...rest } = opts;
  if (workers <= 1) return startEgress(rest);
  return startEgressCluster({ ...rest, workers, logLevel: opts.logger.level });
}
