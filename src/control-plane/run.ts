/**
 * `zonectl control-plane run` minus the oclif shell: start, announce the listening URLs on stdout
 * (tests and scripts read the first line), then run until SIGINT/SIGTERM and shut down cleanly.
 */
import { join } from 'node:path';
import { clockFromEnv } from '../core/clock.js';
import { createLogger, type LogFormat } from '../core/log.js';
import { resolveRunSettings } from './config.js';
import { startControlPlane } from './index.js';
import { redactUrl } from './store/postgres/connect.js';
import { zoneTokenRunOptions } from './tokens/index.js';
import { dpServerTlsOptions } from './dp-server/module.js';

export interface RunIo {
  out: (line: string) => void;
}

export async function runControlPlane(flags: Record<string, unknown>, io: RunIo): Promise<void> {
  const settings = resolveRunSettings(flags);
  const log = createLogger('control-plane', { level: flags['log-level'] as string | undefined, format: flags['log-format'] as LogFormat | undefined });
  const postgres = { url: settings.postgresUrl, passwordFile: settings.postgresPasswordFile, maxConnections: settings.postgresMaxConnections, cacheBytes: settings.postgresCacheMb === undefined ? undefined : settings.postgresCacheMb * 1024 * 1024 };
  const multizone = {
    kdsPort: settings.kdsPort,
    kdsAddress: settings.kdsAddress,
    globalAddress: settings.globalAddress,
    globalTokenFile: settings.globalTokenFile,
    globalCaCertFile: settings.globalCaCertFile,
  };
  const dataDir = settings.inMemory ? undefined : settings.dataDir;
  const cp = await startControlPlane({ ...settings, dataDir, postgres, limits: { maxConnections: settings.maxConnections }, clock: clockFromEnv(), log, options: { dpAddress: settings.dpAddress, ...multizone, ...dpServerTlsOptions(settings), ...zoneTokenRunOptions(flags) } });
  io.out(`zonectl control plane listening on ${cp.url}${cp.tlsUrl ? ` and ${cp.tlsUrl}` : ''}`);
  const where = settings.store === 'sqlite' ? ` (${join(settings.dataDir, 'store.db')})` : settings.store === 'postgres' ? ` (${redactUrl(settings.postgresUrl ?? '')})` : '';
  const zone = settings.mode === 'global' ? 'mode: global' : `${settings.mode === 'zone' ? 'mode: zone; ' : ''}zone: ${settings.zone}`;
  // In memory, the admin token exists nowhere else: it is printed once, here (never logged).
  const admin = dataDir === undefined ? `${cp.adminToken} (in memory, shown once)` : join(dataDir, 'admin-token');
  io.out(`store: ${settings.store}${where}; ${zone}; admin token: ${admin}`);
  if (cp.tlsCaFile) io.out(`HTTPS clients should trust ${cp.tlsCaFile}`);
  const dpPort = cp.ctx.options.dpPortBound;
  if (dpPort !== undefined) {
    const trust = cp.ctx.options.dpCaCertFile === undefined ? 'its CA is in memory: save the certificate below for dp run --ca-cert-file' : `egresses trust ${String(cp.ctx.options.dpCaCertFile)}`;
    io.out(`dp-server for egresses listening on https://${String(cp.ctx.options.dpAddress ?? '127.0.0.1')}:${String(dpPort)} (${trust})`);
    if (cp.ctx.options.dpCaCertFile === undefined && typeof cp.ctx.options.dpCaPem === 'string') io.out(cp.ctx.options.dpCaPem.trimEnd());
  }
  const kdsPort = cp.ctx.options.kdsPortBound;
  if (kdsPort !== undefined) io.out(`KDS server for zone control planes listening on https://${settings.kdsAddress}:${String(kdsPort)} (zones trust ${cp.ctx.options.kdsCaCertFile === undefined ? 'its in-memory CA: run with --data-dir to keep it in a file' : String(cp.ctx.options.kdsCaCertFile)})`);
  if (settings.mode === 'zone') io.out(`syncing with the global control plane at ${String(settings.globalAddress)}`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log.info({ signal }, 'shutting down');
      // A second signal while draining means "now": leave without waiting.
      process.once(signal, () => process.exit(130));
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await cp.stop();
  log.flush();
}
