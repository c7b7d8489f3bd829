/**
 * Counters of one egress instance. Prometheus series live in a per-instance prom-client Registry
 * (several egresses in one process, as in tests, must not share a global registry). The hot path
 * only touches plain numbers and cached label children; /stats and /clusters read the plain
 * numbers, /stats/prometheus renders the registry.
 */
import { Counter, Gauge, Registry } from 'prom-client';

/** Why a connection was closed before any byte reached an upstream. */
export type RejectReason = 'not-tls' | 'malformed' | 'too-large' | 'timeout' | 'no-sni' | 'unknown-sni' | 'client-cert' | 'denied' | 'draining';
export const REJECT_REASONS: RejectReason[] = ['not-tls', 'malformed', 'too-large', 'timeout', 'no-sni', 'unknown-sni', 'client-cert', 'denied', 'draining'];

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

interface LatencyHistogram {
  counts: number[];
  sum: number;
  count: number;
}

export class EgressMetrics {
  readonly registry = new Registry();
  readonly rejected: Record<RejectReason, number> = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  readonly routes = new Map<string, RouteCounters>();
  readonly endpoints = new Map<string, EndpointCounters>();
  private readonly latency = new Map<string, LatencyHistogram>();
  private readonly endpointCache = new WeakMap<object, EndpointCounters>();
  /** Permission decisions per route (SNI); `revoked` counts open connections a new policy closed. */
  readonly decisions = new Map<string, Record<PermissionDecision | 'revoked', number>>();
  accepted = 0;
  upstreamConnectFailures = 0;
  /** Access log lines not written, by `backend\nreason` (rate-limit: rejections over the limit; buffer-full: a TCP collector behind). */
  readonly accessLogDrops = new Map<string, number>();

  constructor() {
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
      help: 'Routed connections by route (SNI) and how they ended',
      labelNames: ['route', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const [route, r] of m.routes) for (const [outcome, n] of Object.entries(r.outcomes)) this.labels(route, outcome).inc(n);
      },
    });
    new Gauge({
      name: 'zonectl_egress_connections_active',
      help: 'Open routed connections by route (SNI)',
      labelNames: ['route'],
      registers,
      collect() {
        this.reset();
        for (const [route, r] of m.routes) this.labels(route).set(r.active);
      },
    });
    new Counter({
      name: 'zonectl_egress_bytes_total',
      help: 'Bytes relayed; in = client to upstream, out = upstream to client',
      labelNames: ['route', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const [route, r] of m.routes) {
          this.labels(route, 'in').inc(r.bytesIn);
          this.labels(route, 'out').inc(r.bytesOut);
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
    this.registry.registerMetric(this.latencyMetric() as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** A histogram in prom-client's metric shape, filled from our own bucket counts. */
  private latencyMetric() {
    const name = 'zonectl_egress_upstream_connect_seconds';
    return {
      name,
      help: 'Upstream connect latency (TCP, plus TLS for originated TLS)',
      type: 'histogram',
      aggregator: 'sum',
      get: async () => {
        const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
        for (const [route, h] of this.latency) {
          let cum = 0;
          LATENCY_BUCKETS.forEach((le, i) => {
            cum += h.counts[i];
            values.push({ labels: { le, route }, value: cum, metricName: `${name}_bucket` });
          });
          values.push({ labels: { le: '+Inf', route }, value: h.count, metricName: `${name}_bucket` });
          values.push({ labels: { route }, value: h.sum, metricName: `${name}_sum` });
          values.push({ labels: { route }, value: h.count, metricName: `${name}_count` });
        }
        return { name, help: 'Upstream connect latency (TCP, plus TLS for originated TLS)', type: 'histogram', values, aggregator: 'sum' };
      },
      reset: () => this.latency.clear(),
    };
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

  private route(sni: string): RouteCounters {
    let r = this.routes.get(sni);
    if (!r) {
      r = { active: 0, total: 0, bytesIn: 0, bytesOut: 0, outcomes: { closed: 0, error: 0, 'upstream-connect-failed': 0, drained: 0 } };
      this.routes.set(sni, r);
    }
    return r;
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

  opened(sni: string): void {
    const r = this.route(sni);
    r.active++;
    r.total++;
  }

  closed(sni: string, outcome: Outcome, bytesIn: number, bytesOut: number): void {
    const r = this.route(sni);
    r.active--;
    r.outcomes[outcome]++;
    r.bytesIn += bytesIn;
    r.bytesOut += bytesOut;
  }

  connected(sni: string, endpoint: string, seconds: number): void {
    this.connectedTo(this.endpointOf(sni, endpoint), sni, seconds);
  }

  /** connected() for a caller that already holds the endpoint's counters (no key building). */
  connectedTo(e: EndpointCounters, sni: string, seconds: number): void {
    e.healthy = true;
    let h = this.latency.get(sni);
    if (!h) this.latency.set(sni, (h = { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    if (i < LATENCY_BUCKETS.length) h.counts[i]++;
    h.sum += seconds;
    h.count++;
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
