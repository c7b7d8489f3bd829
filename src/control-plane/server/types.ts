/**
 * The contract between the API server and the feature modules that add routes to it (resources
 * CRUD, tokens, insights, ...). A module exports a function `(ctx: ApiContext) => ApiRoute[]`
 * and is listed in src/control-plane/server/modules.ts. Handlers return a value or throw the coded
 * errors of src/core/errors.ts; the server's problem-details mapper is the only place that turns
 * errors into HTTP responses.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../../core/clock.js';
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
  handle(req: ApiRequest): Promise<ApiResponse> | ApiResponse;
}

/** What modules get from the server: shared services, no HTTP details. */
export interface ApiContext {
  store: Store;
  clock: Clock;
  /** This control plane's zone (`--zone`). */
  zone: string;
  /** Random per process; reported by GET / and in insights. */
  instanceId: string;
  version: string;
  /** Data directory (`--data-dir`), for modules that keep files (CA material). */
  dataDir: string;
  /** Server-wide options that modules read (e.g. allowUnboundedTokens). */
  options: Record<string, unknown>;
}

export type ApiModule = (ctx: ApiContext) => ApiRoute[] | Promise<ApiRoute[]>;
