/**
 * `zonectl dp run --proxy-type=egress --cp-address URL`: the egress fed by a control plane.
 * Renders the ZoneEgress from `--dataplane-file` (kumactl `{{ key }}` templates, `--dataplane-var`),
 * starts the proxy (/ready answers 503 until the first snapshot is applied), opens the session and
 * applies each snapshot (a rejected one keeps the previous routes). A 400/401/403 from the control
 * plane stops the egress with that message; otherwise it runs until SIGTERM/SIGINT, then drains.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError, ValidationError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { renderTemplate } from '../resources/load.js';
import type { AccessLogBackend, UpstreamSettings } from '../resources/egress-config.js';
import type { Resource } from '../resources/types.js';
import { parseCpAddress } from './cp-session-http.js';
import { startCpSession, type CpSession } from './cp-session.js';
import type { ProxyHandle } from './egress.js';
import { reopenOnSigusr1 } from './lines.js';
import { startProxy } from './proxy.js';

/** How `dp run` listens, whatever feeds it routes: flag overrides of the resource's networking (0 = a free port). */
export interface EgressListenOptions {
  address?: string;
  port?: number;
  adminAddress?: string;
  adminPort?: number;
  drainTimeMs: number;
  clientHelloTimeoutMs: number;
  /** `--max-connections`: client connections each egress process holds at once. */
  maxConnections?: number;
  /** `--upstream-connect-timeout`, `--idle-timeout`, `--tcp-keepalive`; a snapshot's `upstream` section overrides them. */
  upstream?: UpstreamSettings;
  logger: Logger;
  /** `--workers`: processes sharing the listener (1, the default, runs the proxy in this process). */
  workers?: number;
  /** `--access-log`: backends for every connection, besides those a snapshot configures. */
  accessLog?: AccessLogBackend[];
}

export interface EgressFromCpOptions extends EgressListenOptions {
  cpAddress: string;
  /** `--ca-cert-file`: the dp-server CA (`<data-dir>/dp-server/ca.crt` of the control plane). */
  caCertFile?: string;
  skipVerify?: boolean;
  /** `--dataplane-token-file`; re-read on every reconnect, so a rotated token is picked up. */
  tokenFile: string;
  /** `--dataplane-file`: the ZoneEgress resource (YAML or JSON). */
  dataplaneFile: string;
  /** `--dataplane-var k=v` values for `{{ k }}` in the dataplane file. */
  dataplaneVars?: Record<string, string>;
  /** zonectl version, reported to the control plane. */
  version: string;
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface EgressFromCp {
  egress: ProxyHandle;
  session: CpSession;
  /** The ZoneEgress as registered (ports as actually bound). */
  resource: Resource;
}

function readText(path: string, what: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check ${flag}`);
  }
}

/** The ZoneEgress of the dataplane file, templates rendered. */
export function renderZoneEgress(path: string, vars: Record<string, string> = {}): Resource {
  const text = renderTemplate(readText(path, 'dataplane file', '--dataplane-file'), vars);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ValidationError(`dataplane file ${path} is not valid YAML: ${(err as Error).message}`, []);
  }
  const r = doc as Resource | null;
  if (!r || typeof r !== 'object' || r.type !== 'ZoneEgress') {
    throw new ValidationError(`dataplane file ${path} is not a ZoneEgress (type: ${String(r?.type)}); --proxy-type=egress needs one`, [{ field: 'type', message: 'must be ZoneEgress' }]);
  }
  if (typeof r.name !== 'string' || r.name === '') throw new ValidationError(`dataplane file ${path}: name is required`, [{ field: 'name', message: 'cannot be empty' }]);
  return r;
}

/** Starts proxy and session; the caller decides how long to run (see runEgressFromControlPlane). */
export async function startEgressFromControlPlane(opts: EgressFromCpOptions): Promise<EgressFromCp> {
  // Before listening: a bad --cp-address is a usage error, not a proxy that waits forever.
  for (const a of opts.cpAddress.split(',')) if (a.trim()) parseCpAddress(a.trim());
  const resource = renderZoneEgress(opts.dataplaneFile, opts.dataplaneVars);
  const tokenText = () => readText(opts.tokenFile, 'token file', '--dataplane-token-file');
  if (!tokenText().trim()) throw new UsageError(`token file ${opts.tokenFile} is empty; write one with: zonectl generate zone-token --scope egress ... > ${opts.tokenFile}`);
  const net = (resource.networking ?? {}) as { address?: string; port?: number; admin?: { port?: number } };
  const egress = await startProxy({
    workers: opts.workers ?? 1,
    address: opts.address ?? net.address ?? '127.0.0.1',
    port: opts.port ?? net.port ?? 10002,
    adminAddress: opts.adminAddress ?? '127.0.0.1',
    adminPort: opts.adminPort ?? net.admin?.port ?? 9901,
    drainTimeMs: opts.drainTimeMs,
    clientHelloTimeoutMs: opts.clientHelloTimeoutMs,
    maxConnections: opts.maxConnections,
    upstream: opts.upstream,
    logger: opts.logger,
    name: resource.name,
    accessLog: opts.accessLog,
  });
  const registered: Resource = {
    ...resource,
    networking: { ...net, address: opts.address ?? net.address ?? egress.address, port: egress.port, admin: { ...(net.admin ?? {}), port: egress.adminPort } },
  };
  const session = startCpSession({
    cpAddress: opts.cpAddress,
    caCertFile: opts.caCertFile,
    skipVerify: opts.skipVerify,
    token: tokenText,
    zoneEgress: registered,
    version: opts.version,
    logger: opts.logger,
    backoff: opts.backoff,
    onSnapshot: async (s) => {
      const res = await egress.applySnapshot(s, { partial: true });
      return res.ok ? { ok: true, skipped: res.skipped } : { ok: false, reason: res.reason };
    },
  });
  return { egress, session, resource: registered };
}

/**
 * Runs until SIGTERM/SIGINT (or `stop`), then closes the session and drains. Rejects with the
 * control plane's error when it refuses the egress (the command prints it and exits non-zero).
 */
export async function runEgressFromControlPlane(opts: EgressFromCpOptions & { stop?: AbortSignal }, onStarted?: (r: EgressFromCp) => void): Promise<void> {
  const started = await startEgressFromControlPlane(opts);
  onStarted?.(started);
  const { egress, session } = started;
  const stopReopening = reopenOnSigusr1(() => egress.reopenLogs());
  let fatal: unknown;
  await new Promise<void>((resolve) => {
    const finish = (why: string) => {
      process.removeListener('SIGTERM', onTerm);
      process.removeListener('SIGINT', onInt);
      opts.logger.info({ reason: why }, 'terminating: draining connections');
      resolve();
    };
    const onTerm = () => finish('SIGTERM');
    const onInt = () => finish('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    opts.stop?.addEventListener('abort', () => finish('stop'), { once: true });
    session.done.catch((err: unknown) => {
      fatal = err;
      finish('the control plane refused the egress');
    });
  });
  await session.close();
  stopReopening();
  if (fatal) {
    await egress.close();
    throw fatal;
  }
  await egress.drain();
}
