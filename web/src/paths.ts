/**
 * The page's URLs under /gui, as pure functions (no DOM, no Preact): every view has a real URL,
 * and the control plane answers index.html for all of them.
 */

export const BASE = '/gui';

export type View = 'home' | 'egresses' | 'egress' | 'config-dump' | 'meshes' | 'mesh' | 'zones' | 'not-found';

export interface Route {
  view: View;
  params: Record<string, string>;
  query: URLSearchParams;
}

export function parseRoute(pathname: string, search: string): Route {
  const query = new URLSearchParams(search);
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const segs = rest.split('/').filter(Boolean).map(safeDecode);
  const r = (view: View, params: Record<string, string> = {}): Route => ({ view, params, query });
  if (segs.length === 0) return r('home');
  const [a, b, c] = segs;
  if (a === 'zoneegresses' && segs.length === 1) return r('egresses');
  if (a === 'zoneegresses' && segs.length === 2) return r('egress', { name: b });
  if (a === 'zoneegresses' && segs.length === 3 && c === 'config-dump') return r('config-dump', { name: b });
  if (a === 'meshes' && segs.length === 1) return r('meshes');
  if (a === 'meshes' && segs.length === 2) return r('mesh', { name: b });
  if (a === 'zones' && segs.length === 1) return r('zones');
  return r('not-found');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `/gui` + the path of a view, each segment encoded. */
export function href(...segments: string[]): string {
  return [BASE, ...segments.map(encodeURIComponent)].join('/');
}

