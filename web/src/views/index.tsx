/** Every view of the page, by route. */
import type { FunctionComponent } from 'preact';
import { Link } from '../components.js';
import { href, type Route } from '../router.js';
import { ConfigDump, Egress } from './egress.js';
import { Egresses } from './egresses.js';
import { Home } from './home.js';
import { Mesh, Meshes } from './meshes.js';
import { Zones } from './zones.js';

function NotFound(props: { route: Route }) {
  return (
    <p>
      There is no view at this address ({props.route.view}). Go to the <Link href={href()}>overview</Link>.
    </p>
  );
}

export const views: Record<Route['view'], FunctionComponent<{ route: Route }>> = {
  home: Home,
  egresses: Egresses,
  egress: Egress,
  'config-dump': ConfigDump,
  meshes: Meshes,
  mesh: Mesh,
  zones: Zones,
  'not-found': NotFound,
};
