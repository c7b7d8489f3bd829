/**
 * What this control plane offers beyond the basics, found out once per page load from the API
 * itself: Kuma's `/_resources` when the server has it (kinds, their paths, which are policies),
 * otherwise a probe of the few optional collections the page knows.
 */
import { getJson, getOptional } from './api.js';
import { arr, obj, str } from './model.js';

export interface Kind {
  name: string;
  /** Collection path segment, e.g. `meshtrafficpermissions`. */
  path: string;
  scope: 'Global' | 'Mesh';
  policy: boolean;
  displayName: string;
}

export interface Capabilities {
  /** Multizone global: `/zones` answers. */
  zones: boolean;
  /** Mesh-scoped policy kinds. */
  policies: Kind[];
}

const KNOWN_POLICIES: Kind[] = [
  { name: 'MeshTrafficPermission', path: 'meshtrafficpermissions', scope: 'Mesh', policy: true, displayName: 'Mesh Traffic Permissions' },
  { name: 'MeshAccessLog', path: 'meshaccesslogs', scope: 'Mesh', policy: true, displayName: 'Mesh Access Logs' },
];

let cached: Promise<Capabilities> | undefined;

export function capabilities(): Promise<Capabilities> {
  return (cached ??= discover().catch((err) => {
    cached = undefined;
    throw err;
  }));
}

async function discover(): Promise<Capabilities> {
  const described = await getOptional<unknown>('/_resources');
  if (described !== undefined) {
    const kinds: Kind[] = arr(obj(described).resources).map((r) => {
      const o = obj(r);
      return { name: str(o.name), path: str(o.path), scope: str(o.scope) === 'Mesh' ? 'Mesh' : 'Global', policy: o.policy !== undefined && o.policy !== null, displayName: str(o.pluralDisplayName) || str(o.name) };
    });
    // Every control plane knows the Zone kind; the view is for when zones exist (a global's).
    const zoneList = kinds.some((k) => k.path === 'zones') ? await getOptional<unknown>('/zones?size=1') : undefined;
    return { zones: Number(obj(zoneList).total ?? 0) > 0, policies: kinds.filter((k) => k.policy && k.scope === 'Mesh') };
  }
  const [zones, ...policies] = await Promise.all([getOptional('/zones?size=1'), ...KNOWN_POLICIES.map((k) => getOptional(`/${k.path}?size=1`))]);
  return { zones: zones !== undefined, policies: KNOWN_POLICIES.filter((_, i) => policies[i] !== undefined) };
}

/** `total` of a list endpoint, without fetching its items. */
export async function total(path: string, signal?: AbortSignal): Promise<number> {
  return (await getJson<{ total: number }>(`${path}${path.includes('?') ? '&' : '?'}size=1`, signal)).total;
}
