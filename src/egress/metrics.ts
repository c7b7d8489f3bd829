/**
 * Counters of one egress instance. Prometheus series live in a per-instance prom-client Registry
 * (several egresses in one process, as in tests, must not share a global registry). The hot path
 * only touches plain numbers and cached label children; /stats and /clusters read the plain
 * numbers, /stats/prometheus renders the registry.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** Why a connection was closed before any byte reached an upstream. */
/** Why a client connection was closed before relaying; `max-connections`: refused at accept, over `dp run --max-connections`. */
export type RejectReason = 'not-tls' | 'malformed' | 'too-large' | 'timeout' | 'no-sni' | 'unknown-sni' | 'client-cert' | 'denied' | 'draining' | 'max-connections';
export const REJECT_REASONS: RejectReason[] = ['not-tls', 'malformed', 'too-large', 'timeout', 'no-sni', 'unknown-sni', 'client-cert', 'denied', 'draining', 'max-connections'];

/** MeshTrafficPermission decisions (permissions.ts DecisionAction). */
export type PermissionDecision = 'allow' | 'deny' | 'shadow-deny';

/** How a routed connection ended. */
export type Outcome = 'closed' | 'error' | 'upstream-connect-failed' | 'drained';

export interface RouteCounters {
  active: number;
  total: number;
  bytesIn: number;
  bytesOut: number;
  outcomes: Record<Outcome, number>;
  /** Labels of the route's series. */
  readonly kind: 'passthrough' | 'terminating';
  readonly mesh: string;
  /** Connection durations (routed until closed), in DURATION_BUCKETS. */
  readonly duration: BucketCounts;
  /** Upstream connect latencies, in LATENCY_BUCKETS. */
  readonly connect: BucketCounts;
  /** A terminating route's one upstream, resolved at its first connection under the table in force. */
  endpoint?: EndpointCounters;
}

/** What a compiled route (route-table.ts) carries for the metrics: its counters, attached once per snapshot. */
export interface CountedRoute {
  kind: 'passthrough' | 'terminating';
  route: { sni: string; mesh: string };
  stats?: RouteCounters;
}

export interface EndpointCounters {
  active: number;
  total: number;
  connectFailures: number;
  /** Passive health: false after a failed connect, true again after a successful one. */
  healthy: boolean;
}

/** Upstream connect latency buckets (seconds): loopback connects are ~50 us, WAN ones ~100 ms. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Connection duration buckets (seconds): a TLS request/response is tens of ms, a database or
 * gRPC stream through the egress can stay open for hours.
 */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/** A histogram's observations per bucket (not cumulative: rendered cumulative at scrape time). */
interface BucketCounts {
  counts: number[];
  sum: number;
  count: number;
}

function observe(h: BucketCounts, bounds: number[], v: number): void {
  let i = 0;
  while (i < bounds.length && v > bounds[i]) i++;
  if (i < bounds.length) h.counts[i]++;
  h.sum += v;
  h.count++;
}

type HistogramValue = { labels: Record<string, string | number>; value: number; metricName: string };

/** Prometheus histogram samples (cumulative buckets, +Inf, _sum, _count) of one label set. */
function histogramValues(name: string, bounds: number[], h: BucketCounts, labels: Record<string, string>, out: HistogramValue[]): void {
  let cum = 0;
  bounds.forEach((le, i) => {
    cum += h.counts[i];
    out.push({ labels: { ...labels, le }, value: cum, metricName: `${name}_bucket` });
  });
  out.push({ labels: { ...labels, le: '+Inf' }, value: h.count, metricName: `${name}_bucket` });
  out.push({ labels, value: h.sum, metricName: `${name}_sum` });
  out.push({ labels, value: h.count, metricName: `${name}_count` });
}

export class EgressMetrics {
  readonly registry = new Registry();
  readonly rejected: Record<RejectReason, number> = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  readonly routes = new Map<string, RouteCounters>();
  readonly endpoints = new Map<string, EndpointCounters>();
  private readonly endpointCache = new WeakMap<object, EndpointCounters>();
  /** Permission decisions per route (SNI); `revoked` counts open connections a new policy closed. */
  readonly decisions = new Map<string, Record<PermissionDecision | 'revoked', number>>();
  accepted = 0;
  upstreamConnectFailures = 0;
  /** Access log lines not written, by `backend\nreason` (rate-limit: rejections over the limit; buffer-full: a TCP collector behind). */
  readonly accessLogDrops = new Map<string, number>();

  constructor(opts: { processMetrics?: boolean } = {}) {
    // Prometheus series are rendered from the plain counters at scrape time (collect()), so a
    // connection costs a few integer increments, not a label-hash lookup per metric.
    const registers = [this.registry];
    // prom-client calls collect() with `this` bound to the metric, so the counters travel by name.
    const m = { routes: this.routes, endpoints: this.endpoints, rejected: this.rejected, accepted: () => this.accepted };
    new Counter({
      name: 'zonectl_egress_downstream_connections_total',
      help: 'Connections accepted by the listener',
      registers,
      collect() {
        this.reset();
        this.inc(m.accepted());
      },
    });
    new Counter({
      name: 'zonectl_egress_connections_total',
      help: 'Routed connections by route (SNI), route kind (passthrough, terminating), mesh and how they ended',
      labelNames: ['route', 'kind', 'mesh', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const [route, r] of m.routes) for (const [outcome, n] of Object.entries(r.outcomes)) this.labels(route, r.kind, r.mesh, outcome).inc(n);
      },
    });
    new Gauge({
      name: 'zonectl_egress_connections_active',
      help: 'Open routed connections by route (SNI), route kind and mesh',
      labelNames: ['route', 'kind', 'mesh'],
      registers,
      collect() {
        this.reset();
        for (const [route, r] of m.routes) this.labels(route, r.kind, r.mesh).set(r.active);
      },
    });
    new Counter({
      name: 'zonectl_egress_bytes_total',
      help: 'Bytes relayed by route (SNI), route kind and mesh; in = client to upstream, out = upstream to client (counted when the connection closes)',
      labelNames: ['route', 'kind', 'mesh', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const [route, r] of m.routes) {
          this.labels(route, r.kind, r.mesh, 'in').inc(r.bytesIn);
          this.labels(route, r.kind, r.mesh, 'out').inc(r.bytesOut);
        }
      },
    });
    new Counter({
      name: 'zonectl_egress_rejected_connections_total',
      help: 'Connections closed before routing, by reason (ClientHello parse failures, unknown SNI, client certificate)',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const r of REJECT_REASONS) this.labels(r).inc(m.rejected[r]);
      },
    });
    new Counter({
      name: 'zonectl_egress_upstream_connect_failures_total',
      help: 'Failed upstream connects by route and endpoint',
      labelNames: ['route', 'endpoint'],
      registers,
      collect() {
        this.reset();
        for (const [key, e] of m.endpoints) {
          const at = key.lastIndexOf('::');
          if (e.connectFailures) this.labels(key.slice(0, at), key.slice(at + 2)).inc(e.connectFailures);
        }
      },
    });
    const decisions = this.decisions;
    new Counter({
      name: 'zonectl_egress_permission_decisions_total',
      help: 'MeshTrafficPermission decisions on terminated connections, by route (SNI) and action (allow, deny, shadow-deny; revoked = an open connection closed by a policy change)',
      labelNames: ['route', 'action'],
      registers,
      collect() {
        this.reset();
        for (const [route, d] of decisions) for (const [action, n] of Object.entries(d)) this.labels(route, action).inc(n);
      },
    });
    const drops = this.accessLogDrops;
    new Counter({
      name: 'zonectl_egress_access_log_dropped_total',
      help: 'Access log lines not written, by backend and reason (rate-limit: rejected connections over the limit; buffer-full: a TCP collector down or behind)',
      labelNames: ['backend', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const [key, n] of drops) {
          const at = key.indexOf('\n');
          this.labels(key.slice(0, at), key.slice(at + 1)).inc(n);
        }
      },
    });
    this.histogram('zonectl_egress_upstream_connect_seconds', 'Upstream connect latency (TCP, plus TLS for originated TLS) by route (SNI)', () => {
      const values: HistogramValue[] = [];
      for (const [route, r] of this.routes) if (r.connect.count > 0) histogramValues('zonectl_egress_upstream_connect_seconds', LATENCY_BUCKETS, r.connect, { route }, values);
      return values;
    });
    this.histogram('zonectl_egress_connection_duration_seconds', 'Routed connection duration (from routing to close) by route (SNI), route kind and mesh', () => {
      const values: HistogramValue[] = [];
      for (const [route, r] of this.routes) if (r.duration.count > 0) histogramValues('zonectl_egress_connection_duration_seconds', DURATION_BUCKETS, r.duration, { route, kind: r.kind, mesh: r.mesh }, values);
      return values;
    });
    // Standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...), as Envoy and
    // kuma-dp leave theirs unprefixed; under --workers the primary sums the workers' (aggregate.ts).
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * A histogram in prom-client's metric shape, filled from our own bucket counts (a connection
   * costs an array increment, not prom-client's per-observation label hashing).
   */
  private histogram(name: string, help: string, values: () => HistogramValue[]): void {
    const metric = { name, help, type: 'histogram', aggregator: 'sum', get: async () => ({ name, help, type: 'histogram', values: values(), aggregator: 'sum' }), reset: () => undefined };
    this.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /**
   * Attaches counters to every route of a new route table (so the data path reaches them with
   * one property read, never a lookup by SNI) and drops the series of routes the table no longer
   * has: a route's series live as long as the route, so their number is bounded by the snapshot.
   * Connections still open on a removed route keep counting into its detached counters.
   */
  syncRoutes(routes: Iterable<CountedRoute>): void {
    const keep = new Set<string>();
    for (const r of routes) {
      keep.add(r.route.sni);
      this.attach(r);
    }
    for (const sni of this.routes.keys()) if (!keep.has(sni)) this.routes.delete(sni);
    for (const sni of this.decisions.keys()) if (!keep.has(sni)) this.decisions.delete(sni);
    for (const key of this.endpoints.keys()) if (!keep.has(key.slice(0, key.lastIndexOf('::')))) this.endpoints.delete(key);
  }

  /** The route's counters: the ones of the same SNI, kind and mesh carry over from the previous table. */
  private attach(r: CountedRoute): RouteCounters {
    if (r.stats) return r.stats;
    const { sni, mesh } = r.route;
    let c = this.routes.get(sni);
    if (!c || c.kind !== r.kind || c.mesh !== mesh) {
      c = {
        active: 0,
        total: 0,
        bytesIn: 0,
        bytesOut: 0,
        outcomes: { closed: 0, error: 0, 'upstream-connect-failed': 0, drained: 0 },
        kind: r.kind,
        mesh,
        duration: { counts: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 },
        connect: { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 },
      };
      this.routes.set(sni, c);
    }
    // The new table may point the route elsewhere.
    c.endpoint = undefined;
    return (r.stats = c);
  }

  onAccept(): void {
    this.accepted++;
  }

  reject(reason: RejectReason): void {
    this.rejected[reason]++;
  }

  accessLogDropped(backend: string, reason: 'rate-limit' | 'buffer-full'): void {
    const key = `${backend}\n${reason}`;
    this.accessLogDrops.set(key, (this.accessLogDrops.get(key) ?? 0) + 1);
  }

  decision(sni: string, action: PermissionDecision | 'revoked'): void {
    let d = this.decisions.get(sni);
    if (!d) this.decisions.set(sni, (d = { allow: 0, deny: 0, 'shadow-deny': 0, revoked: 0 }));
    d[action]++;
  }

  private endpoint(key: string): EndpointCounters {
    let e = this.endpoints.get(key);
    if (!e) {
      e = { active: 0, total: 0, connectFailures: 0, healthy: true };
      this.endpoints.set(key, e);
    }
    return e;
  }

  /**
   * endpointOf() for a compiled endpoint (one object per route and endpoint in a route table),
   * cached by identity: no `sni::address:port` key to build and hash per connection.
   */
  endpointFor(sni: string, ep: { key: string }): EndpointCounters {
    let e = this.endpointCache.get(ep);
    if (!e) this.endpointCache.set(ep, (e = this.endpointOf(sni, ep.key)));
    return e;
  }

  /** Counters of one upstream of one route; `endpoint` is `address:port`. */
  endpointOf(sni: string, endpoint: string): EndpointCounters {
    return this.endpoint(`${sni}::${endpoint}`);
  }

  /** A connection was routed; returns the route's counters for closed(). */
  opened(route: CountedRoute): RouteCounters {
    const r = route.stats ?? this.attach(route);
    r.active++;
    r.total++;
    return r;
  }

  /** `routedAt`: performance.now() when the connection was routed. */
  closed(r: RouteCounters, outcome: Outcome, bytesIn: number, bytesOut: number, routedAt: number): void {
    r.active--;
    r.outcomes[outcome]++;
    r.bytesIn += bytesIn;
    r.bytesOut += bytesOut;
    observe(r.duration, DURATION_BUCKETS, (performance.now() - routedAt) / 1000);
  }

  /** The upstream of a terminating route (`endpoint` = `address:port`), looked up once per route table. */
  terminatingEndpoint(r: RouteCounters, sni: string, endpoint: string): EndpointCounters {
    return (r.endpoint ??= this.endpointOf(sni, endpoint));
  }

  /** An upstream connect succeeded after `seconds`. */
  connectedTo(e: EndpointCounters, r: RouteCounters, seconds: number): void {
    e.healthy = true;
    observe(r.connect, LATENCY_BUCKETS, seconds);
  }

  connectFailed(sni: string, endpoint: string): void {
    const e = this.endpointOf(sni, endpoint);
    e.healthy = false;
    e.connectFailures++;
    this.upstreamConnectFailures++;
  }
  /** Envoy-style `name: value` lines for /stats. */
  text(extra: Record<string, string | number>): string {
    const lines: string[] = [];
    for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
    lines.push(`downstream_cx_total: ${this.accepted}`);
    for (const r of REJECT_REASONS) lines.push(`rejected.${r}: ${this.rejected[r]}`);
    lines.push(`upstream_cx_connect_fail: ${this.upstreamConnectFailures}`);
    for (const [sni, r] of [...this.routes].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`route.${sni}.cx_active: ${r.active}`, `route.${sni}.cx_total: ${r.total}`, `route.${sni}.bytes_in: ${r.bytesIn}`, `route.${sni}.bytes_out: ${r.bytesOut}`);
      for (const [o, n] of Object.entries(r.outcomes)) lines.push(`route.${sni}.outcome.${o}: ${n}`);
    }
    return lines.join('\n') + '\n';
  }
}
