/**
 * The zonectl web view: a read-only single-page app served by the control plane at /gui, using
 * only its REST API. Preact renders it (see the README for why); routes are in ./router.ts.
 */
import './style.css';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { adminToken, setAdminToken } from './api.js';
import { capabilities } from './capabilities.js';
import { Link } from './components.js';
import { href, useRoute, type Route } from './router.js';
import { views } from './views/index.js';

const TITLES: Record<Route['view'], (r: Route) => string> = {
  home: () => 'Overview',
  egresses: () => 'Zone egresses',
  egress: (r) => `Zone egress ${r.params.name}`,
  'config-dump': (r) => `Config dump of ${r.params.name}`,
  meshes: () => 'Meshes',
  mesh: (r) => `Mesh ${r.params.name}`,
  zones: () => 'Zones',
  'not-found': () => 'Page not found',
};

function Nav(props: { route: Route }) {
  const [zones, setZones] = useState(false);
  useEffect(() => {
    capabilities().then(
      (c) => setZones(c.zones),
      () => setZones(false),
    );
  }, []);
  const v = props.route.view;
  const item = (label: string, to: string, active: boolean) => (
    <li>
      <Link href={to} aria-current={active ? 'page' : undefined}>
        {label}
      </Link>
    </li>
  );
  return (
    <nav aria-label="Main">
      <ul>
        {item('Overview', href(), v === 'home')}
        {item('Zone egresses', href('zoneegresses'), v === 'egresses' || v === 'egress' || v === 'config-dump')}
        {item('Meshes', href('meshes'), v === 'meshes' || v === 'mesh')}
        {zones && item('Zones', href('zones'), v === 'zones')}
      </ul>
    </nav>
  );
}

/** Optional admin token for callers that are not on localhost; kept in this tab only. */
function TokenForm() {
  const [has, setHas] = useState(adminToken() !== '');
  const input = useRef<HTMLInputElement>(null);
  return (
    <details class="token">
      <summary>Admin token{has ? ' (set)' : ''}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setAdminToken(input.current?.value.trim() ?? '');
          if (input.current) input.current.value = '';
          setHas(adminToken() !== '');
          location.reload();
        }}
      >
        <label>
          Token <input ref={input} type="password" autocomplete="off" name="token" />
        </label>{' '}
        <button type="submit">{has ? 'Replace' : 'Use'}</button>{' '}
        {has && (
          <button
            type="button"
            onClick={() => {
              setAdminToken('');
              location.reload();
            }}
          >
            Forget
          </button>
        )}
        <p class="muted">Needed only away from localhost, for config dumps and stats. Kept in this browser tab, sent only to this control plane.</p>
      </form>
    </details>
  );
}

function App() {
  const route = useRoute();
  const title = TITLES[route.view](route);
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    document.title = `${title} · zonectl`;
    // After in-app navigation, move focus to the new view's heading (screen readers announce it).
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [route.view, route.params.name]);
  const View = views[route.view];
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href={href()} class="brand">
          zonectl
        </Link>
        <Nav route={route} />
        <TokenForm />
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <View route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
