/**
 * History-API routing under /gui: every view has a real URL (deep links, reload, back button),
 * and the control plane answers index.html for all of them. Filters and sort orders live in the
 * query string, so a filtered table is a link too.
 */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/gui';

export type View = 'home' | 'egresses' | 'egress' | 'config-dump' | 'meshes' | 'mesh' | 'zones' | 'not-found';

export interface Route {
  view: View;
  params: Record<string, string>;
  query: URLSearchParams;
}

const NAV_EVENT = 'zonectl:navigate';

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

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAV_EVENT));
}

/** The current route; re-renders on back/forward and on navigate(). */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname, location.search));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname, location.search));
    window.addEventListener('popstate', update);
    window.addEventListener(NAV_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAV_EVENT, update);
    };
  }, []);
  return route;
}

/** Updates the query string of the current view without a new history entry (filters, sorting). */
export function setQuery(changes: Record<string, string | undefined>): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  navigate(location.pathname + (s ? `?${s}` : ''), { replace: true });
}
