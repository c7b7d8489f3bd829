/**
 * The contract between the API server and the feature modules that add routes to it (resources
 * CRUD, tokens, insights, ...). A module exports a function `(ctx: ApiContext) => ApiRoute[]`
 * (or `=> { routes, start?, stop? }` when it needs a lifecycle) and is listed in
 * src/control-plane/server/modules.ts. Handlers return a value or throw the coded errors of
 * src/core/errors.ts; the server's problem-details mapper is the only place that turns errors into
 * HTTP responses.
 *
 * Lifecycle: the control plane opens the store, calls every module function (in list order), then
 * every `start()` (in list order, awaited; e.g. the tokens module creates signing key 1 here, under
 * `store.withLock`), and only then listens. On shutdown it stops accepting connections, calls every
 * `stop()` in reverse order (a module holding long-lived streams ends them here), waits for
 * in-flight requests, and closes the store last.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { CpMode } from '../../resources/kds.js';
import type { Leadership } from '../leader.js';
import type { CpMetrics } from '../metrics/metrics.js';
import type { Store } from '../store/types.js';

export interface ApiRequest {
  method: string;
  /** Path without the query string, percent-decoded per segment by the router. */
  path: string;
  /** Named path parameters, e.g. `{ mesh: 'default', name: 'es-1' }` for `/meshes/:mesh/external-services/:name`. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** True when the caller has admin rights (loopback with localhostIsAdmin, or the admin token). */
  isAdmin: boolean;
  remoteAddress: string;
  /** Absolute base URL as the client reached us (`http://127.0.0.1:5681`), for `next` links. */
  baseUrl: string;
  /** Parsed JSON (or YAML) body; throws ValidationError on a malformed body. */
  body(): Promise<unknown>;
  /** Raw body text. */
  text(): Promise<string>;
}

export interface ApiResponse {
  status: number;
  /** Objects are sent as JSON; strings as text/plain unless a content-type header says otherwise. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiRoute {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Express-like pattern: `/zoneegresses/:name`. Static segments win over parameters. */
  path: string;
  /** Who may call it: 'any' (also non-admins), 'admin'. Default 'any' for GET, 'admin' otherwise. */
  access?: 'any' | 'admin';
  /**
   * Problem-details `title` for errors this route throws that carry no title of their own (Kuma
   * words them per operation: "Could not retrieve a resource", "Could not delete a resource").
   * ValidationError's own title wins. Default: the HTTP reason phrase.
   */
  errorTitle?: string;
  /** Resource type named in a 403 (Kuma: `cannot access the resource of type "GlobalSecret"`). */
  resourceType?: string;
  handle(req: ApiRequest): Promise<ApiResponse> | ApiResponse;
}

/** What modules get from the server: shared services, no HTTP details. */
export interface ApiContext {
  store: Store;
  clock: Clock;
  /** This control plane's zone (`--zone`); a global's is `global` and names no zone. */
  zone: string;
  /**
   * `--mode`: standalone (default when absent), global (serves zone control planes on the KDS
   * port, no egresses), or zone (syncs with a global; global-owned kinds are read-only here).
   */
  mode?: CpMode;
  /** Random per process; reported by GET / and in insights. */
  instanceId: string;
  version: string;
  /** Data directory (`--data-dir`), for modules that keep files (CA material). */
  /** undefined: keys and certificates live in memory only (`--store memory` without --data-dir). */
  dataDir: string | undefined;
  /**
   * Server-wide options that modules read (e.g. allowUnboundedTokens). The control plane always
   * sets `dpPort` (number, `--dp-port`), `apiAddress` (string) and `localhostIsAdmin` (boolean).
   */
  options: Record<string, unknown>;
  /** Structured logger (src/core/log.ts); secrets are redacted, but never log bodies anyway. */
  log: Logger;
  /**
   * Checks every resource DELETE runs before it deletes (in order; the first throw refuses the
   * delete). Modules push theirs when they are created: e.g. the dp-server refuses to delete a
   * signing key that still verifies connected egresses, unless `?force=true`.
   */
  deleteGuards: DeleteGuard[];
  /**
   * Leader lease among instances sharing the store (src/control-plane/leader.ts): work exactly one
   * instance must do registers with `onLeaderTick`. Absent in hand-built contexts = sole instance.
   */
  leadership?: Leadership;
  /** This instance's Prometheus series (GET /metrics); absent in hand-built contexts. */
  metrics?: CpMetrics;
}

export interface DeleteGuardRequest {
  type: string;
  name: string;
  mesh?: string;
  /** `?force=true` (`zonectl delete ... --force`): the caller accepts the consequences. */
  force: boolean;
}

/** Throws a coded error (409 ConflictError, 400 ValidationError) to refuse a delete. */
export type DeleteGuard = (req: DeleteGuardRequest) => Promise<void> | void;

/** What a module function returns when it needs start-up or shutdown work besides its routes. */
export interface ApiModuleInstance {
  routes: ApiRoute[];
  /** After the store is open, before the server listens. A throw aborts the start. */
  start?(): Promise<void> | void;
  /** On shutdown, after the listeners stop accepting, before the store closes. Must not throw. */
  stop?(): Promise<void> | void;
}

export type ApiModule = (ctx: ApiContext) => ApiRoute[] | ApiModuleInstance | Promise<ApiRoute[] | ApiModuleInstance>;
