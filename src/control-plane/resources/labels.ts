/**
 * Labels the control plane computes on every write, as Kuma 2.14's pkg/core/resources/labels
 * Compute: `kuma.io/mesh` on mesh-scoped kinds; on a zone (zonectl's standalone is Kuma's
 * non-federated zone) the kinds zones provide (ZoneEgress, ZoneIngress) get `kuma.io/origin: zone`,
 * `kuma.io/zone` and `kuma.io/env: universal`; proxies get `kuma.io/proxy-type`. Labels the user
 * set are kept, except proxy-type, which is always recomputed. Plus Kuma's checks of user labels
 * that contradict the resource (resource_endpoints.go validateLabels).
 */
import type { Violation } from '../../core/errors.js';
import type { CpMode } from '../../resources/kds.js';
import type { KindInfo } from '../../resources/kinds.js';
import type { Resource } from '../../resources/types.js';

const PROVIDED_BY_ZONE = new Set(['ZoneEgress', 'ZoneIngress']);
const PROXY_TYPE: Record<string, string> = { ZoneEgress: 'egress', ZoneIngress: 'ingress' };

export interface LabelContext {
  mode: CpMode | undefined;
  zone: string;
}

export function computeLabels(kind: KindInfo, r: Resource, ctx: LabelContext): Record<string, string> {
  const labels: Record<string, string> = { ...(r.labels ?? {}) };
  const setIfMissing = (k: string, v: string) => {
    if (labels[k] === undefined) labels[k] = v;
  };
  if (kind.scope === 'mesh') setIfMissing('kuma.io/mesh', r.mesh ?? 'default');
  // A ZoneIngress of another zone (applied by hand on a standalone control plane) is not this zone's.
  const otherZone = typeof r.zone === 'string' && r.zone !== '' && r.zone !== ctx.zone;
  if (ctx.mode !== 'global' && PROVIDED_BY_ZONE.has(kind.type) && !otherZone) {
    setIfMissing('kuma.io/origin', 'zone');
    if (labels['kuma.io/origin'] !== 'global') {
      setIfMissing('kuma.io/zone', ctx.zone);
      setIfMissing('kuma.io/env', 'universal');
    }
  }
  const proxy = PROXY_TYPE[kind.type];
  if (proxy) labels['kuma.io/proxy-type'] = proxy;
  return labels;
}

/** User labels that contradict the resource; fields are Kuma's (`labels["kuma.io/mesh"]`). */
export function labelViolations(r: Resource, ctx: LabelContext): Violation[] {
  const labels = r.labels ?? {};
  const out: Violation[] = [];
  const origin = labels['kuma.io/origin'];
  if (origin !== undefined && origin !== 'zone' && origin !== 'global') {
    out.push({ field: 'labels["kuma.io/origin"]', message: `unknown resource origin ${JSON.stringify(origin)}` });
  }
  if (ctx.mode !== 'global' && origin !== 'global') {
    if (labels['kuma.io/zone'] !== undefined && labels['kuma.io/zone'] !== ctx.zone) {
      out.push({ field: 'labels["kuma.io/zone"]', message: `kuma.io/zone label should have ${ctx.zone} value` });
    }
    if (labels['kuma.io/mesh'] !== undefined && labels['kuma.io/mesh'] !== (r.mesh ?? '')) {
      out.push({ field: 'labels["kuma.io/mesh"]', message: 'kuma.io/mesh label must not differ from mesh set on resource' });
    }
  }
  return out;
}
