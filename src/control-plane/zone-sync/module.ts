/**
 * Multizone as an API module beside the dp-server: on a global it starts the KDS server that zone
 * control planes connect to (`--kds-port`, default 5685); on a zone it starts the session with the
 * global (`--global-address`, `--global-token-file`). Its routes (the zones' overviews) are mounted
 * in every mode; a standalone control plane simply has no zones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_KDS_PORT } from '../../resources/multizone-protocol.js';
import { ensureServerTls } from '../dp-server/tls.js';
import type { ApiContext, ApiModuleInstance } from '../server/types.js';
import { zoneTokenService } from '../tokens/index.js';
import { startGlobalServer, type GlobalServer } from './global-server.js';
import { zoneRoutes } from './overview.js';
import { startZoneClient, type ZoneClient } from './zone-client.js';

/** ApiContext.options keys this module reads. */
export interface ZoneSyncOptions {
  kdsPort?: number;
  kdsAddress?: string;
  /** `--kds-tls-cert`/`--kds-tls-key` file paths; absent = auto-generated in `<data-dir>/kds-server/`. */
  kdsTlsCert?: string;
  kdsTlsKey?: string;
  globalAddress?: string;
  globalTokenFile?: string;
  globalCaCertFile?: string;
  /** Heartbeat of zone streams (tests shorten it). */
  kdsHeartbeatMs?: number;
  /** Zone reconnect backoff (tests and the demo shorten it). */
  kdsBackoff?: { initialMs?: number; maxMs?: number };
}

export function kdsServerTlsDir(dataDir: string | undefined): string | undefined {
  return dataDir === undefined ? undefined : join(dataDir, 'kds-server');
}

export function zoneSyncModule(ctx: ApiContext): ApiModuleInstance {
  const opts = ctx.options as ZoneSyncOptions;
  let server: GlobalServer | undefined;
  let client: ZoneClient | undefined;
  return {
    routes: zoneRoutes(ctx.store),
    async start() {
      if (ctx.mode === 'global') {
        const service = await zoneTokenService(ctx);
        const tls = opts.kdsTlsCert && opts.kdsTlsKey ? { certPem: readFileSync(opts.kdsTlsCert, 'utf8'), keyPem: readFileSync(opts.kdsTlsKey, 'utf8') } : await ensureServerTls(kdsServerTlsDir(ctx.dataDir), 'zonectl KDS server');
        server = await startGlobalServer({
          store: ctx.store,
          instanceId: ctx.instanceId,
          version: ctx.version,
          authenticate: (token) => service.verifier.verify(token, 'cp'),
          tls,
          port: opts.kdsPort ?? DEFAULT_KDS_PORT,
          address: opts.kdsAddress ?? '127.0.0.1',
          clock: ctx.clock,
          logger: ctx.log,
          heartbeatMs: opts.kdsHeartbeatMs,
        });
        const global = server;
        ctx.metrics?.observeZoneSync({ zones: () => global.connectedZones().length });
        ctx.options.kdsPortBound = server.port;
        ctx.options.kdsCaCertFile = server.caCertFile;
      } else if (ctx.mode === 'zone') {
        if (!opts.globalAddress || !opts.globalTokenFile) throw new UsageError('--mode zone needs --global-address and --global-token-file');
        try {
          readFileSync(opts.globalTokenFile);
        } catch (err) {
          throw new UsageError(`--global-token-file: cannot read ${opts.globalTokenFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)} (mint it on the global: zonectl generate zone-token --zone ${ctx.zone} --scope cp --valid-for 720h)`);
        }
        client = startZoneClient({
          store: ctx.store,
          zone: ctx.zone,
          instanceId: ctx.instanceId,
          version: ctx.version,
          globalAddress: opts.globalAddress,
          tokenFile: opts.globalTokenFile,
          caCertFile: opts.globalCaCertFile,
          logger: ctx.log,
          backoff: opts.kdsBackoff,
        });
        const zone = client;
        ctx.metrics?.observeZoneSync({ globalState: () => zone.state });
        ctx.options.zoneSync = client;
      }
    },
    async stop() {
      await client?.close();
      await server?.close().catch((err: unknown) => ctx.log.warn({ err: (err as Error).message }, 'KDS server did not close cleanly'));
    },
  };
}
