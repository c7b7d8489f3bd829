/**
 * The egress's session with the control plane (docs/egress-protocol.md): bootstrap, hold the
 * config stream, hand every new snapshot to `onSnapshot` and ack or reject it by its answer,
 * reconnect with jittered exponential backoff. The last good snapshot stays in force while the
 * control plane is away or when a new one is rejected. A 400/401/403 from the control plane is
 * fatal (a wrong token or resource does not fix itself): `ready` and `done` reject with it.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ForbiddenError, NotFoundError, UnauthorizedError, UsageError, ValidationError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { EgressSnapshot } from '../resources/egress-config.js';
import { EGRESS_PROTOCOL_PATHS, type AckRequest, type BootstrapRequest, type BootstrapResponse, type StreamMessage } from '../resources/egress-protocol.js';
import type { Resource } from '../resources/types.js';
import { CpHttp, DEFAULT_CP_REQUEST_TIMEOUT_MS } from './cp-session-http.js';

/** `skipped`: applied without these parts (field path: reason); reported to the control plane as a reject. */
export type SnapshotVerdict = { ok: true; skipped?: string[] } | { ok: false; reason: string };
export type CpSessionState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface CpSessionOptions {
  /**
   * `https://host:5678`, or several separated by commas (`--cp-address` given more than once):
   * after a failed attempt the session moves to the next one, and to the next address of a host
   * name that has several (several control-plane instances sharing one PostgreSQL store).
   */
  cpAddress: string;
  /** PEM of the dp-server CA, or a file with it (`--ca-cert-file`). */
  ca?: string;
  caCertFile?: string;
  /** Do not verify the dp-server certificate (`--skip-verify`; logs a warning). */
  skipVerify?: boolean;
  /** The zone token, or a function read on every (re)connect so a rotated token file is picked up. */
  token: string | (() => string);
  /** The rendered ZoneEgress resource. */
  zoneEgress: Resource;
  /** zonectl version, reported in the insight. */
  version: string;
  /** Applies a snapshot; the answer is acked (ok) or rejected (with the reason). A throw is a reject. */
  onSnapshot: (snapshot: EgressSnapshot) => SnapshotVerdict | Promise<SnapshotVerdict>;
  onStateChange?: (state: CpSessionState) => void;
  logger?: Logger;
  /** Backoff between attempts: doubling from initialMs up to maxMs, with equal jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  random?: () => number;
  /** Deadline of each request to the control plane (default 10 s, cp-session-http.ts). */
  requestTimeoutMs?: number;
}

export interface CpSession {
  readonly state: CpSessionState;
  readonly connected: boolean;
  /** The last snapshot onSnapshot accepted. */
  readonly lastGood: EgressSnapshot | undefined;
  /** Resolves with the first accepted snapshot; rejects on a fatal error. */
  readonly ready: Promise<EgressSnapshot>;
  /** Resolves after close(); rejects on a fatal error. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Backoff delay for attempt n (0-based): half fixed, half random, so egresses spread out. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Permanent: a wrong token, resource or address does not fix itself by retrying. */
function isFatal(err: unknown): boolean {
  return err instanceof UnauthorizedError || err instanceof ForbiddenError || err instanceof ValidationError || err instanceof UsageError;
}

export function startCpSession(opts: CpSessionOptions): CpSession {
  const log = opts.logger ?? silentLogger();
  const ca = opts.ca ?? (opts.caCertFile ? readFileSync(opts.caCertFile, 'utf8') : undefined);
  if (opts.skipVerify) log.warn('--skip-verify: the control plane certificate is not verified; anyone on the path can impersonate it');
  const endpoints = opts.cpAddress
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
    .map((cpAddress) => new CpHttp({ cpAddress, ca, skipVerify: opts.skipVerify, requestTimeoutMs: opts.requestTimeoutMs }));
  let current = 0;
  let http = endpoints[0];
  const failover = () => {
    http.rotate();
    current = (current + 1) % endpoints.length;
    http = endpoints[current];
  };
  const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_CP_REQUEST_TIMEOUT_MS;
  const initialMs = opts.backoff?.initialMs ?? 500;
  const maxMs = opts.backoff?.maxMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const token = () => (typeof opts.token === 'function' ? opts.token() : opts.token).trim();
  const name = opts.zoneEgress.name;

  let state: CpSessionState = 'connecting';
  let lastGood: EgressSnapshot | undefined;
  let lastGoodAck: { accepted: boolean; reason?: string } = { accepted: true };
  let stopped = false;
  let abort: AbortController | undefined;
  let wake: (() => void) | undefined;

  let resolveReady!: (s: EgressSnapshot) => void;
  let rejectReady!: (e: unknown) => void;
  const ready = new Promise<EgressSnapshot>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
  ready.catch(() => undefined);

  const setState = (s: CpSessionState) => {
    if (state === s) return;
    state = s;
    opts.onStateChange?.(s);
  };

  async function bootstrap(): Promise<void> {
    const body: BootstrapRequest = { proxyType: 'egress', dataplaneResource: opts.zoneEgress, version: { kumaDp: { version: opts.version } } };
    let res: BootstrapResponse;
    try {
      res = await http.json<BootstrapResponse>('POST', EGRESS_PROTOCOL_PATHS.bootstrap, token(), body);
    } catch (err) {
      // Every dp-server serves POST /bootstrap: whatever answers 404 to it is something else.
      if (err instanceof NotFoundError) {
        throw new UsageError(`--cp-address ${http.base.origin} is not a zonectl dp-server (POST ${EGRESS_PROTOCOL_PATHS.bootstrap} answered: ${err.message}); is it the API's port? The dp-server listens on 5678 by default, as 'zonectl control-plane run' prints`);
      }
      throw err;
    }
    log.info({ egress: res.name, zone: res.zone, controlPlane: res.controlPlane.instanceId }, 'registered with the control plane');
  }

  async function ack(req: AckRequest): Promise<void> {
    try {
      await http.json('POST', EGRESS_PROTOCOL_PATHS.ack, token(), req);
    } catch (err) {
      // The stream is the source of truth; a lost ack only costs an insight counter.
      log.warn({ version: req.version, err: (err as Error).message }, 'could not acknowledge the config version');
    }
  }

  async function apply(streamId: string, snapshot: EgressSnapshot): Promise<void> {
    if (lastGood?.version === snapshot.version) return ack({ streamId, version: snapshot.version, ...lastGoodAck });
    let verdict: SnapshotVerdict;
    try {
      verdict = await opts.onSnapshot(snapshot);
    } catch (err) {
      verdict = { ok: false, reason: (err as Error).message };
    }
    if (verdict.ok) {
      lastGood = snapshot;
      resolveReady(snapshot);
      if (verdict.skipped?.length) {
        // In force, but not whole: the control plane's insight counts it as rejected, with the reason.
        const reason = `applied without ${verdict.skipped.length} part(s) that could not be used: ${verdict.skipped.join('; ')}`;
        lastGoodAck = { accepted: false, reason };
        log.warn({ version: snapshot.version, routes: snapshot.routes.length, skipped: verdict.skipped }, 'applied config from the control plane without the parts it could not use');
      } else {
        lastGoodAck = { accepted: true };
        log.info({ version: snapshot.version, routes: snapshot.routes.length }, 'applied config from the control plane');
      }
      await ack({ streamId, version: snapshot.version, ...lastGoodAck });
    } else {
      log.warn({ version: snapshot.version, reason: verdict.reason }, 'rejected config from the control plane; keeping the previous one');
      await ack({ streamId, version: snapshot.version, accepted: false, reason: verdict.reason });
    }
  }

  /** Reads the stream until it ends; `onProgress` marks a healthy connection (resets backoff). */
  async function consume(res: IncomingMessage, onProgress: () => void): Promise<void> {
    let buf = '';
    let streamId = '';
    let idle: NodeJS.Timeout | undefined;
    // Until the hello says how often to expect heartbeats, the request timeout applies.
    let idleMs = requestTimeoutMs;
    let queue = Promise.resolve();
    const armIdle = () => {
      if (!idleMs) return;
      clearTimeout(idle);
      idle = setTimeout(() => res.destroy(new Error(`no data from the control plane for ${idleMs} ms`)), idleMs);
    };
    res.setEncoding('utf8');
    armIdle();
    try {
      for await (const chunk of res) {
        armIdle();
        buf += chunk as string;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const msg = JSON.parse(line) as StreamMessage;
          if (msg.type === 'hello') {
            streamId = msg.streamId;
            idleMs = msg.heartbeatMs * 3;
            armIdle();
            setState('connected');
            onProgress();
          } else if (msg.type === 'snapshot') {
            const id = streamId;
            // One snapshot at a time, in order: a slow apply must not reorder versions.
            queue = queue.then(() => apply(id, msg.snapshot));
          } else if (msg.type === 'closing') {
            log.error({ reason: msg.reason, egress: name }, msg.message);
          }
        }
      }
      await queue;
    } finally {
      clearTimeout(idle);
    }
  }

  async function loop(): Promise<void> {
    let attempt = 0;
    let failure: string | undefined;
    while (!stopped) {
      setState('connecting');
      abort = new AbortController();
      try {
        await bootstrap();
        const url = `${EGRESS_PROTOCOL_PATHS.stream}?name=${encodeURIComponent(name)}&version=${encodeURIComponent(opts.version)}`;
        const res = await http.open('GET', url, token(), undefined, abort.signal);
        await consume(res, () => (attempt = 0));
        if (!stopped) log.warn('config stream from the control plane ended; reconnecting');
      } catch (err) {
        if (stopped) break;
        if (isFatal(err)) throw err;
        failure = (err as Error).message;
      }
      failover();
      if (stopped) break;
      setState('disconnected');
      const delay = backoffDelay(attempt++, initialMs, maxMs, random);
      if (failure !== undefined) {
        log.warn({ err: failure, egress: name, attempt, retryInMs: delay }, `control plane session failed (attempt ${attempt}); keeping the current config and retrying in ${formatDelay(delay)}`);
        failure = undefined;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        wake = () => (clearTimeout(t), resolve());
      });
      wake = undefined;
    }
  }

  const done = loop().then(
    () => setState('stopped'),
    (err: unknown) => {
      stopped = true;
      setState('stopped');
      rejectReady(err);
      for (const e of endpoints) e.close();
      throw err;
    },
  );
  done.catch(() => undefined);

  return {
    get state() {
      return state;
    },
    get connected() {
      return state === 'connected';
    },
    get lastGood() {
      return lastGood;
    },
    ready,
    done,
    async close() {
      stopped = true;
      abort?.abort();
      wake?.();
      await done.catch(() => undefined);
      for (const e of endpoints) e.close();
      rejectReady(new Error('session closed before the first snapshot'));
    },
  };
}
