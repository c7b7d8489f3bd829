/**
 * The dp-server as an API module: `control-plane run` lists it in server/modules.ts and gets the
 * dp-server started (start hook, on `--dp-port`) and stopped (stop hook, which ends every stream
 * and records disconnectTime) with the API server. It also adds the API routes that belong to
 * the egress: Kuma's inspect endpoints and zonectl's workload-certificate endpoint.
 */
import { ConflictError, UsageError } from '../../core/errors.js';
import { signingKeySerial } from '../../tokens/index.js';
import { parseGoDuration } from '../../core/duration.js';
import { ensureMeshCa, issueWorkloadCertificate } from '../ca/index.js';
import type { ServerLimits } from '../server/limits.js';
import type { ApiContext, ApiModuleInstance, ApiRoute } from '../server/types.js';
import { zoneTokenService } from '../tokens/index.js';
import { fetchEgressAdmin, type EgressAdminView } from './admin-fetch.js';
import { startDpServer, type DpServer } from './server.js';

/** ApiContext.options keys this module reads (besides `dpPort`, always set by the server). */
export interface DpServerModuleOptions {
  dpPort?: number;
  /** Listen address of the dp-server; default 127.0.0.1 (0.0.0.0 when egresses run on other hosts). */
  dpAddress?: string;
  /** `--dp-tls-cert`/`--dp-tls-key` contents; absent = auto-generated in `<data-dir>/dp-server/`. */
  dpTlsCertPem?: string;
  dpTlsKeyPem?: string;
  /** Set false to not start the dp-server (API-only tests). */
  dpServer?: boolean;
  /** Extra names for the auto-issued server certificate (`--dp-server-names`). */
  dpServerNames?: string[];
  /** PEM files of the CA to issue the server certificate from (`--dp-server-ca-cert/-key`). */
  dpServerCaCertFile?: string;
  dpServerCaKeyFile?: string;
  /** The control plane's connection cap and timeouts (set by startControlPlane). */
  serverLimits?: ServerLimits;
}

/** The module options of the `--dp-server-*` settings. */
export function dpServerTlsOptions(s: { dpServerNames?: string; dpServerCaCert?: string; dpServerCaKey?: string }): Partial<DpServerModuleOptions> {
  const names = (s.dpServerNames ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
  return { ...(names.length ? { dpServerNames: names } : {}), ...(s.dpServerCaCert ? { dpServerCaCertFile: s.dpServerCaCert, dpServerCaKeyFile: s.dpServerCaKey } : {}) };
}

export function dpServerModule(ctx: ApiContext): ApiModuleInstance {
  const opts = ctx.options as DpServerModuleOptions;
  let dp: DpServer | undefined;
  ctx.deleteGuards.push(({ type, name, force }) => {
    const kid = type === 'GlobalSecret' ? signingKeySerial(name) : undefined;
    if (kid === undefined || force || !dp) return;
    const egresses = dp.egressesSignedBy(kid);
    if (egresses.length === 0) return;
    throw new ConflictError(
      `signing key ${JSON.stringify(name)} verifies the zone tokens of ${egresses.length} connected zone egress(es) (${egresses.join(', ')}): deleting it disconnects them, and their tokens stop working. ` +
        `Give them tokens signed by the newest key first (zonectl generate zone-token --zone <zone> --scope egress --valid-for <duration>), or delete anyway with ?force=true (zonectl delete global-secret ${name} --force)`,
    );
  });
  return {
    async start() {
      // A global serves zone control planes, not egresses (as Kuma's global runs no dp-server).
      if (opts.dpServer === false || ctx.mode === 'global') return;
      const service = await zoneTokenService(ctx);
      dp = await startDpServer({
        store: ctx.store,
        zone: ctx.zone,
        instanceId: ctx.instanceId,
        version: ctx.version,
        dataDir: ctx.dataDir,
        clock: ctx.clock,
        logger: ctx.log,
        port: opts.dpPort ?? 5678,
        address: opts.dpAddress ?? '127.0.0.1',
        tls: opts.dpTlsCertPem && opts.dpTlsKeyPem ? { certPem: opts.dpTlsCertPem, keyPem: opts.dpTlsKeyPem } : undefined,
        tlsNames: opts.dpServerNames,
        tlsCa: opts.dpServerCaCertFile && opts.dpServerCaKeyFile ? { certFile: opts.dpServerCaCertFile, keyFile: opts.dpServerCaKeyFile } : undefined,
        authenticate: (token) => service.verifier.verify(token, 'egress'),
        createMeshCa: ctx.mode !== 'zone',
        limits: opts.serverLimits,
        metrics: ctx.metrics,
      });
      const server = dp;
      ctx.metrics?.observeEgresses(() => server.connectedEgresses());
      ctx.leadership?.onLeaderTick(async () => {
        const marked = await server.markVanished(ctx.leadership!.deadInstances());
        if (marked) ctx.log.info({ marked }, 'marked the streams of vanished control-plane instances disconnected');
      });
      // `control-plane run` prints where it listens; tests read the bound port from here.
      ctx.options.dpPortBound = dp.port;
      ctx.options.dpCaCertFile = dp.caCertFile;
      ctx.options.dpCaPem = dp.caPem;
    },
    async stop() {
      await dp?.close().catch((err: unknown) => ctx.log.warn({ err: (err as Error).message }, 'dp-server did not close cleanly'));
    },
    routes: [...inspectRoutes(ctx), certificateRoute(ctx)],
  };
}

function inspectRoutes(ctx: ApiContext): ApiRoute[] {
  const views: [string, EgressAdminView][] = [
    ['xds', 'config-dump'],
    ['stats', 'stats'],
    ['clusters', 'clusters'],
  ];
  return views.map(([segment, view]) => ({
    method: 'GET',
    path: `/zoneegresses/:name/${segment}`,
    // Config dumps show routes and certificates (keys are redacted by the egress): admin only, like Kuma.
    access: 'admin',
    errorTitle: 'Could not inspect a zone egress',
    resourceType: 'ZoneEgress',
    async handle(req) {
      const out = await fetchEgressAdmin(ctx.store, req.params.name, view);
      return { status: 200, body: out.body, headers: { 'content-type': out.contentType } };
    },
  }));
}

/**
 * `POST /meshes/{mesh}/certificates` `{"type":"client"|"server","tags":{...},"validFor":"24h"}`
 * -> `{"cert","key","caCert"}` (PEM): a workload certificate from the mesh CA, for
 * `zonectl generate tls-certificate --mesh`. Admin only: it hands out mesh identities.
 */
function certificateRoute(ctx: ApiContext): ApiRoute {
  return {
    method: 'POST',
    path: '/meshes/:mesh/certificates',
    access: 'admin',
    errorTitle: 'Could not issue a certificate',
    resourceType: 'Mesh',
    async handle(req) {
      const body = ((await req.body()) ?? {}) as { type?: unknown; tags?: unknown; validFor?: unknown; dnsNames?: unknown };
      const type = body.type === 'server' ? 'server' : 'client';
      const tags = (body.tags && typeof body.tags === 'object' ? body.tags : {}) as Record<string, string>;
      const validForMs = parseGoDuration(typeof body.validFor === 'string' ? body.validFor : '24h');
      if (validForMs === undefined || validForMs <= 0) throw new UsageError(`validFor ${JSON.stringify(body.validFor)} is not a positive Go duration (e.g. 24h)`);
      const mesh = (await ctx.store.get({ type: 'Mesh', name: req.params.mesh })).resource;
      const ca = await ensureMeshCa(ctx.store, mesh, { clock: ctx.clock, create: ctx.mode !== 'zone' });
      if (!ca) throw new UsageError(`mesh ${mesh.name} has no mTLS enabled: set mtls.enabledBackend to issue certificates from its CA`);
      const dnsNames = Array.isArray(body.dnsNames) ? body.dnsNames.map(String) : undefined;
      const cert = await issueWorkloadCertificate({ ca, mesh: mesh.name, tags, type, validForMs, dnsNames, notBefore: new Date(ctx.clock.now().getTime() - 60_000) });
      return { status: 200, body: { cert: cert.certPem, key: cert.keyPem, caCert: cert.caPem } };
    },
  };
}
