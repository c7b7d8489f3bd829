/**
 * The egress's routing configuration: what the control plane streams to every egress (as
 * versioned snapshots) and what `zonectl dp run --routes-file` reads from YAML. It lives in
 * resources because it is the one model that control-plane (producer) and egress (consumer)
 * share; neither may import the other (DESIGN.md).
 *
 * Compare Kuma's egress listener (reference/kuma-2.14/egress/egress-xds-legacy): one filter chain
 * per SNI; passthrough (tcp_proxy) for services of other zones, mTLS-terminating chains for
 * external services, identity `identity_cert:secret:<mesh>` and CA `mesh_ca:secret:<mesh>`.
 */

/** One upstream of a passthrough route: a remote zone ingress offering the service. */
export interface WeightedEndpoint {
  address: string;
  port: number;
  /** Kuma's `instances` of the service behind that ingress; relative, > 0. */
  weight: number;
  /** Zone of the ingress (informational: admin output, stats). */
  zone?: string;
}

/** Cross-zone service: relay the client's TLS untouched to a remote zone ingress. */
export interface PassthroughRoute {
  kind: 'passthrough';
  /** Tag SNI `<service>{mesh=<mesh>[,k=v...]}`, extra tags sorted by key. */
  sni: string;
  mesh: string;
  service: string;
  endpoints: WeightedEndpoint[];
}

/** TLS origination toward an external service (ExternalService `networking.tls`). */
export interface UpstreamTls {
  /** SNI sent to the external service; default: the host of `address` when it is a name. */
  serverName?: string;
  /** CA bundle to verify the external service; absent = system roots. */
  caPem?: string;
  /** Client certificate presented to the external service. */
  certPem?: string;
  keyPem?: string;
  /** Check the server certificate's name against serverName (default true). */
  verifyHostname?: boolean;
  allowRenegotiation?: boolean;
}

/** External service: terminate the mesh mTLS at the egress, then connect to `address:port`. */
export interface TerminatingRoute {
  kind: 'terminating';
  sni: string;
  mesh: string;
  service: string;
  /** The ExternalService's `networking.address` split into host and port. */
  address: string;
  port: number;
  /** Present = originate TLS to the external service. */
  tls?: UpstreamTls;
}

export type EgressRoute = PassthroughRoute | TerminatingRoute;

/** The egress's identity in one mesh, and the mesh CA that client certificates must chain to. */
export interface MeshIdentity {
  mesh: string;
  /** Leaf with URI SAN `spiffe://<mesh>/zone-egress`, PEM. */
  certPem: string;
  /** Its private key, PEM. Redacted in /config_dump and never logged. */
  keyPem: string;
  /** Trusted CA bundle of the mesh, PEM (one or more certificates). */
  caPem: string;
}

/**
 * How the egress treats connections toward upstreams. Every field is optional: what a snapshot
 * (or routes file) leaves out takes `dp run`'s flag (--upstream-connect-timeout, --idle-timeout,
 * --tcp-keepalive). Milliseconds; 0 turns a setting off.
 */
export interface UpstreamSettings {
  /** Give up connecting to one endpoint after this long and try the next one (default 5 s). */
  connectTimeoutMs?: number;
  /** Close a relayed connection that carried no byte either way for this long (default 1 h). */
  idleTimeoutMs?: number;
  /** TCP keepalive on both sockets of a relayed connection, first probe after this idle time (default off). */
  tcpKeepaliveMs?: number;
}

export interface EgressSnapshot {
  /** Opaque; changes whenever the content changes. Acked/rejected by the egress. */
  version: string;
  identities: MeshIdentity[];
  routes: EgressRoute[];
  upstream?: UpstreamSettings;
  /**
   * Who may use the terminating routes (MeshTrafficPermission). Present: a terminating route
   * without an entry denies every client (Kuma 2.14: mTLS on and no policy = deny). Absent (a
   * routes file without the section): not enforced. The control plane always sends it.
   */
  permissions?: EgressPermissions;
  /** Where connection logs go (MeshAccessLog, or `--access-log`). Absent: no access log. */
  accessLog?: EgressAccessLog;
}

/** MeshTrafficPermission's actions. */
export type PermissionAction = 'Allow' | 'Deny' | 'AllowWithShadowDeny';

/**
 * One `from[]` entry of a MeshTrafficPermission that selects a route, in Kuma's merge order
 * (policies by targetRef kind, Mesh first, then by name, later names first; entries in policy
 * order): the LAST entry that selects the client decides; none selects it = deny.
 */
export interface PermissionFrom {
  /** Name of the MeshTrafficPermission (access logs, metrics). */
  policy: string;
  /** Which clients: every one (Mesh), by tags (MeshSubset), by service (MeshService), both. */
  kind: 'Mesh' | 'MeshSubset' | 'MeshService' | 'MeshServiceSubset';
  /** MeshService(Subset): the client's `kuma.io/service` (its `spiffe://<mesh>/<service>` SAN). */
  name?: string;
  /** MeshSubset / MeshServiceSubset: tags the client certificate carries (`kuma://<tag>/<value>` SANs); `*` = any value. */
  tags?: Record<string, string>;
  action: PermissionAction;
}

/** A match of the `rules` form: a SPIFFE ID and/or the connection's SNI; both set = both must match. */
export interface PermissionMatch {
  policy: string;
  spiffeId?: { type: 'Exact' | 'Prefix'; value: string };
  sni?: string;
}

/** Kuma 2.14's `rules` form: any deny match denies; then allow / allowWithShadowDeny; else deny. */
export interface PermissionRules {
  deny?: PermissionMatch[];
  allow?: PermissionMatch[];
  allowWithShadowDeny?: PermissionMatch[];
}

/** The compiled MeshTrafficPermissions of one terminating route. `rules`, when present, win over `from`. */
export interface RoutePermissions {
  sni: string;
  from?: PermissionFrom[];
  rules?: PermissionRules;
}

export interface EgressPermissions {
  routes: RoutePermissions[];
}

/** MeshAccessLog's format: Envoy command operators (`%START_TIME%`, `%KUMA_MESH%`, ...). */
export interface AccessLogFormat {
  type: 'Plain' | 'Json';
  plain?: string;
  json?: Array<{ key: string; value: string }>;
  omitEmptyValues?: boolean;
}

/** One destination of access log lines; `name` is how routes refer to it. Absent format = zonectl's JSON line. */
export type AccessLogBackend =
  | { name: string; type: 'stdout'; format?: AccessLogFormat }
  | { name: string; type: 'file'; path: string; format?: AccessLogFormat }
  | { name: string; type: 'tcp'; address: string; format?: AccessLogFormat };

export interface EgressAccessLog {
  backends: AccessLogBackend[];
  /** Connections to these routes (finished, denied or refused) are logged to these backends (by name). */
  routes: Array<{ sni: string; backends: string[] }>;
  /** Connections that match no route (not TLS, no or unknown SNI, bad client certificate): rate-limited. */
  unrouted: string[];
}

/** Kuma's tag SNI: `backend{mesh=mesh-1}`, `web{mesh=m,version=v2,zone=z}` (extra tags sorted by key). */
export function tagSni(service: string, mesh: string, extraTags: Record<string, string> = {}): string {
  const extra = Object.keys(extraTags)
    .filter((k) => k !== 'kuma.io/service' && k !== 'mesh')
    .sort()
    .map((k) => `,${k}=${extraTags[k]}`)
    .join('');
  return `${service}{mesh=${mesh}${extra}}`;
}
