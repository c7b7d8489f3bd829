/**
 * Kuma Resource Identifiers, as kuma-cp 2.14 prints them in `kri` and resolves at `/_kri/{kri}`:
 * `kri_<short type>_<mesh>_<zone>_<namespace>_<name>_<section>`, empty parts left empty
 * (`kri_m____default_`, `kri_ze____egress-1_`). Only the kinds Kuma gives a short name carry one.
 */
const SHORT: Record<string, string> = { Mesh: 'm', ZoneEgress: 'ze', ZoneIngress: 'zi', MeshTrafficPermission: 'mtp', MeshAccessLog: 'mal' };
const BY_SHORT = new Map(Object.entries(SHORT).map(([t, s]) => [s, t]));

export function kriOf(type: string, name: string, mesh = ''): string | undefined {
  const short = SHORT[type];
  return short === undefined ? undefined : `kri_${short}_${mesh}___${name}_`;
}

export interface ParsedKri {
  type: string;
  mesh: string;
  zone: string;
  name: string;
}

/**
 * Why a string is not a KRI at all, in Kuma's words (pkg/core/kri FromString), or undefined when
 * it parses (a kri of a kind zonectl does not serve parses, and is then simply not found).
 */
export function kriSyntaxError(kri: string): string | undefined {
  const parts = kri.split('_');
  if (parts.length < 7) return `invalid identifier string: ${JSON.stringify(kri)}`;
  if (parts[0] !== 'kri') return `identifier must start with 'kri': ${JSON.stringify(kri)}`;
  if (parts[1] === '') return `unknown short name of resource type: ${JSON.stringify(parts[1])}`;
  return undefined;
}

/** Parses a kri of a kind we serve; undefined for anything else. */
export function parseKri(kri: string): ParsedKri | undefined {
  const parts = kri.split('_');
  // kri, short, mesh, zone, namespace, name, section: names and meshes of our kinds hold no '_'.
  if (parts.length !== 7 || parts[0] !== 'kri') return undefined;
  const type = BY_SHORT.get(parts[1]);
  if (!type || !parts[5]) return undefined;
  return { type, mesh: parts[2], zone: parts[3], name: parts[5] };
}
