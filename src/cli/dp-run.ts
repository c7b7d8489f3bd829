/**
 * `zonectl dp run`'s flag parsing and the mapping from flags to the egress run options, so the
 * command file stays a shell (flags, examples, one call).
 */
import { parseGoDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { createLogger, type LogFormat } from '../core/log.js';
import { resolve } from 'node:path';
import { parseAccessLogDestination } from '../egress/access-log.js';
import { parseWorkers } from '../egress/proxy.js';
import type { AccessLogBackend } from '../resources/egress-config.js';
import type { Listening, RunEgressOptions } from '../egress/run.js';
import { parseVars } from './apply/vars.js';

/** oclif `parse` for a Go-syntax duration flag, in milliseconds. */
export function durationFlag(flag: string) {
  return (input: string): Promise<number> => {
    const ms = parseGoDuration(input);
    if (ms === undefined || ms < 0) throw new UsageError(`--${flag} ${input}: not a duration (use Go syntax, e.g. 30s, 1m30s, 500ms)`);
    return Promise.resolve(ms);
  };
}

/** oclif `parse` for a port flag (0 picks a free port). */
export function portFlag(flag: string) {
  return (input: string): Promise<number> => {
    const n = Number(input);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${flag} ${input}: not a port (0-65535; 0 picks a free one)`);
    return Promise.resolve(n);
  };
}

/** oclif `parse` for --workers: N or auto. */
export const workersFlag = (input: string): Promise<number> => Promise.resolve(parseWorkers(input));

export interface DpRunFlags {
  'routes-file'?: string;
  /** Repeatable: joined with commas for the session, which fails over between them. */
  'cp-address'?: string[];
  'dataplane-file'?: string;
  'dataplane-token-file'?: string;
  'dataplane-var'?: string[];
  'ca-cert-file'?: string;
  'skip-verify'?: boolean;
  address?: string;
  port?: number;
  'admin-address'?: string;
  'admin-port'?: number;
  'drain-time': number;
  'client-hello-timeout': number;
  'max-connections': number;
  'upstream-connect-timeout': number;
  'idle-timeout': number;
  'tcp-keepalive': number;
  'log-level': string;
  'log-format'?: string;
  workers: number;
  'access-log'?: string[];
}

/** `--access-log` values as backends; a bad one is a usage error naming the valid forms. */
export function accessLogBackends(values: string[] | undefined): AccessLogBackend[] | undefined {
  if (!values?.length) return undefined;
  return values.map((v) => {
    const b = parseAccessLogDestination(v, (p) => resolve(p));
    if (typeof b === 'string') throw new UsageError(b);
    return b;
  });
}

export function egressRunOptions(flags: DpRunFlags, version: string): RunEgressOptions {
  return {
    routesFile: flags['routes-file'],
    cpAddress: flags['cp-address']?.join(','),
    dataplaneFile: flags['dataplane-file'],
    dataplaneTokenFile: flags['dataplane-token-file'],
    dataplaneVars: flags['dataplane-var'] ? parseVars(flags['dataplane-var']) : undefined,
    caCertFile: flags['ca-cert-file'],
    skipVerify: flags['skip-verify'],
    version,
    address: flags.address,
    port: flags.port,
    adminAddress: flags['admin-address'],
    adminPort: flags['admin-port'],
    drainTimeMs: flags['drain-time'],
    clientHelloTimeoutMs: flags['client-hello-timeout'],
    maxConnections: flags['max-connections'],
    upstream: { connectTimeoutMs: flags['upstream-connect-timeout'], idleTimeoutMs: flags['idle-timeout'], tcpKeepaliveMs: flags['tcp-keepalive'] },
    workers: flags.workers,
    accessLog: accessLogBackends(flags['access-log']),
    logger: createLogger('egress', { level: flags['log-level'], format: flags['log-format'] as LogFormat | undefined }),
  };
}

/** The line `dp run` prints once it listens. */
export function listeningLine(l: Listening, workers: number): string {
  return `egress${l.name ? ` ${l.name}` : ''} listening on ${l.address}:${l.port}, admin ${l.adminAddress}:${l.adminPort}${workers > 1 ? `, ${workers} workers` : ''}`;
}
