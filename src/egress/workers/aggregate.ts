/**
 * The admin answers of several workers made into the answer of one egress. Sums are generic (any
 * numeric /stats line, any Prometheus series), so counters added to a worker's metrics later are
 * summed without changes here.
 */
import { AggregatorRegistry, Counter, Gauge, type Registry, type RegistryContentType } from 'prom-client';
import type { ClusterInfo } from '../admin.js';

/** Sums Envoy-style `name: value` lines by name; non-numeric lines keep the first value. Order: first seen. */
export function sumStatsText(texts: string[]): Map<string, string | number> {
  const out = new Map<string, string | number>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const at = line.lastIndexOf(': ');
      if (at <= 0) continue;
      const name = line.slice(0, at);
      const raw = line.slice(at + 2);
      const n = Number(raw);
      const prev = out.get(name);
      if (raw !== '' && Number.isFinite(n)) out.set(name, (typeof prev === 'number' ? prev : 0) + n);
      else if (prev === undefined) out.set(name, raw);
    }
  }
  return out;
}

export function statsLines(entries: Iterable<[string, string | number]>): string {
  const lines: string[] = [];
  for (const [k, v] of entries) lines.push(`${k}: ${v}`);
  return lines.join('\n') + '\n';
}

/** One ClusterInfo list: counters summed per route and endpoint; an endpoint is healthy when every worker sees it healthy. */
export function mergeClusters(lists: ClusterInfo[][]): ClusterInfo[] {
  const bySni = new Map<string, ClusterInfo>();
  for (const list of lists) {
    for (const c of list) {
      const have = bySni.get(c.sni);
      if (!have) {
        bySni.set(c.sni, { ...c, endpoints: c.endpoints.map((e) => ({ ...e })) });
        continue;
      }
      for (const e of c.endpoints) {
        const h = have.endpoints.find((x) => x.address === e.address && x.port === e.port);
        if (!h) {
          have.endpoints.push({ ...e });
          continue;
        }
        h.active += e.active;
        h.total += e.total;
        h.connectFailures += e.connectFailures;
        h.healthy &&= e.healthy;
      }
    }
  }
  return [...bySni.values()];
}

export interface WorkerSeries {
  worker: number;
  accepted: number;
  active: number;
  version: string | undefined;
}

/**
 * Workers' registries (getMetricsAsJSON) summed series by series (prom-client's cluster
 * aggregator), plus per-worker series labelled `worker` and the primary's own counters.
 */
export function aggregatePrometheus(jsons: unknown[][], workers: WorkerSeries[], restarts: number): Registry<RegistryContentType> {
  const registry = AggregatorRegistry.aggregate(jsons as Parameters<typeof AggregatorRegistry.aggregate>[0]);
  const registers = [registry];
  new Counter({
    name: 'zonectl_egress_worker_downstream_connections_total',
    help: 'Connections accepted, by worker (the listening socket is shared; the kernel picks the worker)',
    labelNames: ['worker'],
    registers,
    collect() {
      for (const w of workers) this.labels(String(w.worker)).inc(w.accepted);
    },
  });
  new Gauge({
    name: 'zonectl_egress_worker_connections_active',
    help: 'Open routed connections, by worker',
    labelNames: ['worker'],
    registers,
    collect() {
      for (const w of workers) this.labels(String(w.worker)).set(w.active);
    },
  });
  new Counter({
    name: 'zonectl_egress_worker_restarts_total',
    help: 'Workers that exited unexpectedly and were replaced',
    registers,
    collect() {
      this.inc(restarts);
    },
  });
  return registry;
}
