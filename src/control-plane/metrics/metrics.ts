/**
 * The control plane's Prometheus series. One CpMetrics (one prom-client Registry) per control
 * plane instance, never prom-client's global default register: tests and the demo run several
 * control planes in one process, and each must report only its own traffic.
 *
 * Label values are bounded by construction: HTTP routes are the router's templates
 * (`/meshes/{mesh}/external-services/{name}`, `unmatched` for any path no route serves), store
 * operations are the Store methods, token results are the verifier's reason codes.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const CP_METRICS_PREFIX = 'zonectl_cp_';

/** Seconds; API calls and store operations are sub-millisecond on SQLite, tens of ms on a remote PostgreSQL. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The route label of requests no API route matched (bounded cardinality: never the raw path). */
export const UNMATCHED_ROUTE = 'unmatched';

/** `/meshes/:mesh/external-services/:name` -> `/meshes/{mesh}/external-services/{name}` (OpenAPI's spelling). */
export function routeTemplate(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

interface RouteSeries {
  duration: Histogram.Internal<'method' | 'route'>;
  byStatus: Map<number, Counter.Internal>;
}

export interface CpMetricsOptions {
  /** process_* and nodejs_* series (default true). */
  processMetrics?: boolean;
}

export class CpMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly storeDuration: Histogram<'operation' | 'store'>;
  private readonly storeErrors: Counter<'operation' | 'store' | 'code'>;
  private readonly tokenVerifications: Counter<'scope' | 'result'>;
  private readonly pushes: Counter;
  private readonly acks: Counter;
  private readonly rejections: Counter;
  /** Children cached per route key, so a request costs no label hashing. */
  private readonly routeSeries = new Map<string, RouteSeries>();
  private egresses: () => number = () => 0;
  private zones: (() => number) | undefined;
  private globalSync: (() => string) | undefined;

  constructor(opts: CpMetricsOptions = {}) {
    const registers = [this.registry];
    const p = CP_METRICS_PREFIX;
    this.httpRequests = new Counter({ name: `${p}http_requests_total`, help: 'API requests by method, route template and status code', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({ name: `${p}http_request_duration_seconds`, help: 'API request latency (until the response is written) by method and route template', labelNames: ['method', 'route'], buckets: LATENCY_BUCKETS, registers });
    this.storeDuration = new Histogram({ name: `${p}store_operation_duration_seconds`, help: 'Store operation latency by operation (get, list, create, update, upsert, delete, lock = waiting for a named lock) and store type', labelNames: ['operation', 'store'], buckets: LATENCY_BUCKETS, registers });
    this.storeErrors = new Counter({ name: `${p}store_errors_total`, help: 'Store operations that failed, by operation, store type and error code (not-found and conflict are often expected)', labelNames: ['operation', 'store', 'code'], registers });
    this.tokenVerifications = new Counter({ name: `${p}token_verifications_total`, help: 'Zone token verifications by required scope (egress, cp, any) and result (ok, or the reason it was refused: expired, revoked, signature-invalid, zone-mismatch, out-of-scope, kid-unknown, ...)', labelNames: ['scope', 'result'], registers });
    this.pushes = new Counter({ name: `${p}snapshot_pushes_total`, help: 'Config snapshots sent to connected egresses (one per egress and version)', registers });
    this.acks = new Counter({ name: `${p}snapshot_acks_total`, help: 'Config snapshots egresses accepted', registers });
    this.rejections = new Counter({ name: `${p}snapshot_rejections_total`, help: 'Config snapshots egresses rejected (NACK); the control plane logs the reason', registers });
    // prom-client calls collect() with `this` bound to the metric: the sources travel as arrows.
    const egresses = () => this.egresses();
    const zones = () => this.zones?.() ?? 0;
    const globalSync = () => this.globalSync?.();
    new Gauge({
      name: `${p}egresses_connected`,
      help: 'Zone egresses with an open config stream to this instance',
      registers,
      collect() {
        this.set(egresses());
      },
    });
    new Gauge({
      name: `${p}kds_zones_connected`,
      help: 'Zone control planes connected to this global (multizone KDS streams); 0 on other modes',
      registers,
      collect() {
        this.set(zones());
      },
    });
    new Gauge({
      name: `${p}kds_global_sync_state`,
      help: 'On a zone control plane: 1 for the current state of its session with the global (connecting, syncing, synced, disconnected, stopped)',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        const s = globalSync();
        if (s !== undefined) this.labels(s).set(1);
      },
    });
    // Standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...), unprefixed
    // like the process metrics of kuma-cp (Go's process_* and go_*), so stock dashboards work.
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** One finished API request; `path` is the matched route's pattern, undefined when none matched. */
  request(method: string, path: string | undefined, status: number, seconds: number): void {
    const key = path === undefined ? `${method} ` : `${method} ${path}`;
    let s = this.routeSeries.get(key);
    if (!s) {
      const route = path === undefined ? UNMATCHED_ROUTE : routeTemplate(path);
      s = { duration: this.httpDuration.labels(method, route), byStatus: new Map() };
      this.routeSeries.set(key, s);
    }
    let c = s.byStatus.get(status);
    if (!c) s.byStatus.set(status, (c = this.httpRequests.labels(method, path === undefined ? UNMATCHED_ROUTE : routeTemplate(path), String(status))));
    c.inc();
    s.duration.observe(seconds);
  }

  storeOperation(operation: string, store: string, seconds: number, errorCode?: string): void {
    this.storeDuration.labels(operation, store).observe(seconds);
    if (errorCode !== undefined) this.storeErrors.labels(operation, store, errorCode).inc();
  }

  tokenVerification(scope: string, result: string): void {
    this.tokenVerifications.labels(scope, result).inc();
  }

  snapshotPushed(): void {
    this.pushes.inc();
  }

  snapshotAcked(accepted: boolean): void {
    (accepted ? this.acks : this.rejections).inc();
  }

  /** The dp-server reports its live streams here once it listens. */
  observeEgresses(count: () => number): void {
    this.egresses = count;
  }

  /** Multizone: a global reports its connected zones, a zone its session state. */
  observeZoneSync(s: { zones?: () => number; globalState?: () => string }): void {
    if (s.zones) this.zones = s.zones;
    if (s.globalState) this.globalSync = s.globalState;
  }

  /** The Prometheus text exposition of every series. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
