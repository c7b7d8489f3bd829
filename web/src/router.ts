/**
 * History-API routing under /gui: every view has a real URL (deep links, reload, back button),
 * and the control plane answers index.html for all of them. Filters and sort orders live in the
 * query string, so a filtered table is a link too.
 */
import { useEffect, useState } from 'preact/hooks';
import { parseRoute, type Route } from './paths.js';

export { BASE, href, parseRoute, type Route, type View } from './paths.js';

const NAV_EVENT = 'zonectl:navigate';

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
