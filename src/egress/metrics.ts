/**
 * Counters of one egress instance. Prometheus series live in a per-instance prom-client Registry
 * (several egresses in one process, as in tests, must not share a global registry). The hot path
 * only touches plain numbers and cached label children; /stats and /clusters read the plain
 * numbers, /stats/prometheus renders the registry.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Why a connection was closed before any byte reached an upstream. */
export type RejectReason = 'not-tls' | 'malformed' | 'too-large' | 'timeout' | 'no-sni' | 'unknown-sni' | 'client-cert' | 'draining';
export const REJECT_REASONS: RejectReason[] = ['not-tls', 'malformed', 'too-large', 'timeout', 'no-sni', 'unknown-sni', 'client-cert', 'draining'];

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

export class EgressMetrics {
  readonly registry = new Registry();
  readonly rejected: Record<RejectReason, number> = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  readonly routes = new Map<string, RouteCounters>();
  readonly endpoints = new Map<string, EndpointCounters>();
  accepted = 0;
  upstreamConnectFailures = 0;

  private readonly connTotal: Counter<'route' | 'outcome'>;
  private readonly connActive: Gauge<'route'>;
  private readonly bytes: Counter<'route' | 'direction'>;
  private readonly helloFailures: Counter<'reason'>;
  private readonly connectFailures: Counter<'route' | 'endpoint'>;
  private readonly connectLatency: Histogram<'route'>;
  private readonly acceptedTotal: Counter;

  constructor() {
    const registers = [this.registry];
    this.acceptedTotal = new Counter({ name: 'zonectl_egress_downstream_connections_total', help: 'Connections accepted by the listener', registers });
    this.connTotal = new Counter({ name: 'zonectl_egress_connections_total', help: 'Routed connections by route (SNI) and how they ended', labelNames: ['route', 'outcome'], registers });
    this.connActive = new Gauge({ name: 'zonectl_egress_connections_active', help: 'Open routed connections by route (SNI)', labelNames: ['route'], registers });
    this.bytes = new Counter({ name: 'zonectl_egress_bytes_total', help: 'Bytes relayed; in = client to upstream, out = upstream to client', labelNames: ['route', 'direction'], registers });
    this.helloFailures = new Counter({ name: 'zonectl_egress_rejected_connections_total', help: 'Connections closed before routing, by reason (ClientHello parse failures, unknown SNI, client certificate)', labelNames: ['reason'], registers });
    this.connectFailures = new Counter({ name: 'zonectl_egress_upstream_connect_failures_total', help: 'Failed upstream connects by route and endpoint', labelNames: ['route', 'endpoint'], registers });
    this.connectLatency = new Histogram({
      name: 'zonectl_egress_upstream_connect_seconds',
      help: 'Upstream connect latency (TCP, plus TLS for originated TLS)',
      labelNames: ['route'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    for (const r of REJECT_REASONS) this.helloFailures.labels(r).inc(0);
  }

  onAccept(): void {
    this.accepted++;
    this.acceptedTotal.inc();
  }

  reject(reason: RejectReason): void {
    this.rejected[reason]++;
    this.helloFailures.labels(reason).inc();
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

  opened(sni: string): void {
    const r = this.route(sni);
    r.active++;
    r.total++;
    this.connActive.labels(sni).inc();
  }

  closed(sni: string, outcome: Outcome, bytesIn: number, bytesOut: number): void {
    const r = this.route(sni);
    r.active--;
    r.outcomes[outcome]++;
    r.bytesIn += bytesIn;
    r.bytesOut += bytesOut;
    this.connActive.labels(sni).dec();
    this.connTotal.labels(sni, outcome).inc();
    if (bytesIn) this.bytes.labels(sni, 'in').inc(bytesIn);
    if (bytesOut) this.bytes.labels(sni, 'out').inc(bytesOut);
  }

  /** Counters of one upstream of one route; `endpoint` is `address:port`. */
  endpointOf(sni: string, endpoint: string): EndpointCounters {
    return this.endpoint(`${sni}::${endpoint}`);
  }

  connected(sni: string, endpoint: string, seconds: number): void {
    const e = this.endpointOf(sni, endpoint);
    e.healthy = true;
    this.connectLatency.labels(sni).observe(seconds);
  }

  connectFailed(sni: string, endpoint: string): void {
    const e = this.endpointOf(sni, endpoint);
    e.healthy = false;
    e.connectFailures++;
    this.upstreamConnectFailures++;
    this.connectFailures.labels(sni, endpoint).inc();
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
