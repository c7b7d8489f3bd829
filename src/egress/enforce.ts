/**
 * The socket side of MeshTrafficPermission: called by the data path once the mesh mTLS handshake
 * is done (authorize), and by the egress after every snapshot change (revokeDenied), so that a
 * policy that now denies a client also ends the connections it has open. Kuma has no opt-out for
 * this (Envoy drains the filter chains whose RBAC changed), and neither has zonectl.
 */
import type tls from 'node:tls';
import type { Logger } from '../core/log.js';
import type { EgressMetrics } from './metrics.js';
import { sanUris, spiffeOf, type Decision } from './permissions.js';
import type { CompiledTerminating, RouteTable } from './route-table.js';

const kAuthz = Symbol('zonectl.authz');
const kRevoked = Symbol('zonectl.revoked');

interface Authorized {
  [kAuthz]?: { sni: string; san: string | undefined };
  [kRevoked]?: Decision;
}

/**
 * Decides for a verified client of a terminating route. A denied client is sent TLS close_notify
 * right after the handshake and closed (as Envoy's network RBAC filter closes the connection);
 * the caller stops there. Allowed and shadow-denied clients are remembered on the socket for
 * revokeDenied().
 */
export function authorize(metrics: EgressMetrics, log: Logger, r: CompiledTerminating, sock: tls.TLSSocket, san: string | undefined): Decision {
  const sni = r.route.sni;
  const d = r.authz.decide(san);
  metrics.decision(sni, d.action);
  if (d.action === 'deny') {
    metrics.reject('denied');
    if (log.isLevelEnabled('info')) log.info({ sni, client: sock.remoteAddress, identity: spiffeOf(sanUris(san), r.route.mesh), policy: d.policy, reason: d.reason }, 'connection denied');
    // end() sends close_notify; destroySoon() then closes once it is written.
    sock.destroySoon();
    return d;
  }
  if (d.action === 'shadow-deny' && log.isLevelEnabled('info')) {
    log.info({ sni, client: sock.remoteAddress, identity: spiffeOf(sanUris(san), r.route.mesh), policy: d.policy, reason: d.reason }, 'connection allowed, would be denied (AllowWithShadowDeny)');
  }
  (sock as unknown as Authorized)[kAuthz] = { sni, san };
  return d;
}

/** The decision that closed an open connection after a policy change, if one did. */
export function revokedBy(sock: object): Decision | undefined {
  return (sock as Authorized)[kRevoked];
}

/** Re-decides every open terminated connection against a new table; closes those now denied. */
export function revokeDenied(live: Iterable<object>, table: RouteTable, metrics: EgressMetrics, log: Logger): number {
  let closed = 0;
  for (const s of live) {
    const a = (s as Authorized)[kAuthz];
    if (!a) continue;
    const r = table.routes.get(a.sni);
    if (!r || r.kind !== 'terminating') continue;
    const d = r.authz.decide(a.san);
    if (d.action !== 'deny') continue;
    const sock = s as tls.TLSSocket & Authorized;
    sock[kRevoked] = d;
    sock[kAuthz] = undefined;
    metrics.decision(a.sni, 'revoked');
    log.info({ sni: a.sni, client: sock.remoteAddress, identity: spiffeOf(sanUris(a.san), r.route.mesh), policy: d.policy, reason: d.reason }, 'open connection closed: a policy change denies it');
    // An error closes both sides of the relay (a clean close would leave the upstream open).
    sock.destroy(new Error('denied by a MeshTrafficPermission change'));
    closed++;
  }
  return closed;
}
