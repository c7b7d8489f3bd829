/**
 * The flags every command that talks to a control plane shares, and the one function that turns
 * them into an ApiClient. Used by get/apply/delete/inspect and by `generate zone-token` and
 * `inspect zone-token --verify` (tokens helper): spread `cpFlags` into the command's flags and call
 * `clientFromFlags(flags)`.
 *
 *   static override flags = { ...cpFlags, zone: Flags.string() };
 *   const { flags } = await this.parse(MyCommand);
 *   const { client } = clientFromFlags(flags);
 *   try { ... } finally { client.close(); }
 */
import { Flags } from '@oclif/core';
import { parseGoDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { ApiClient } from '../client/api-client.js';
import { loadConfig, localConfig, type ContextConfig, type ControlPlaneConfig, type ZonectlConfig } from './config-file.js';

const helpGroup = 'CONTROL PLANE';

export const cpFlags = {
  'config-file': Flags.string({
    summary: 'Path to the config file (default ~/.zonectl/config).',
    env: 'ZONECTL_CONFIG',
    helpGroup,
  }),
  context: Flags.string({
    summary: 'Context of the config file to use (default: its current context).',
    env: 'ZONECTL_CONTEXT',
    helpGroup,
  }),
  'no-config': Flags.boolean({
    summary: 'Use no config file: talk to http://127.0.0.1:5681 and write nothing.',
    default: false,
    helpGroup,
  }),
  'api-timeout': Flags.string({
    summary: 'Timeout of each request to the control plane (Go duration).',
    default: '1m',
    helpGroup,
  }),
};

/** The parsed values of cpFlags (other flags of the command may be present too). */
export interface CpFlagValues {
  'config-file'?: string;
  context?: string;
  'no-config'?: boolean;
  'api-timeout'?: string;
}

export interface ResolvedControlPlane {
  client: ApiClient;
  /** The context in use (`local` with --no-config). */
  context: ContextConfig;
  controlPlane: ControlPlaneConfig;
  /** Mesh to use when -m is not given: the context's default, else `default`. */
  defaultMesh: string;
  /** The config file read (undefined with --no-config). */
  configFile?: string;
}

/**
 * Resolves the context from the flags (and ZONECTL_CONFIG / ZONECTL_CONTEXT through them) and
 * builds its client. First use writes the config file with a `local` context. Throws UsageError
 * for an unknown context or a bad --api-timeout.
 */
export function clientFromFlags(flags: CpFlagValues, opts: { maxSockets?: number } = {}): ResolvedControlPlane {
  const timeoutMs = parseTimeout(flags['api-timeout'] ?? '1m');
  let cfg: ZonectlConfig;
  let file: string | undefined;
  if (flags['no-config']) {
    cfg = localConfig();
  } else {
    ({ path: file, config: cfg } = loadConfig(flags['config-file']));
  }
  const { context, controlPlane } = resolveContext(cfg, flags.context, file);
  const api = controlPlane.coordinates.apiServer;
  const client = new ApiClient({
    baseUrl: api.url,
    headers: apiHeaders(controlPlane),
    tls: { caCertFile: api.caCertFile, clientCertFile: api.clientCertFile, clientKeyFile: api.clientKeyFile, skipVerify: api.skipVerify },
    timeoutMs,
    maxSockets: opts.maxSockets,
  });
  return { client, context, controlPlane, defaultMesh: context.defaults?.mesh ?? 'default', configFile: file };
}

export function resolveContext(cfg: ZonectlConfig, wanted: string | undefined, file: string | undefined): { context: ContextConfig; controlPlane: ControlPlaneConfig } {
  const where = file ?? 'the config';
  const name = wanted || cfg.currentContext;
  if (!name) {
    throw new UsageError(`${where} has no current context (add one with 'zonectl config control-planes add --name NAME --address URL')`);
  }
  const context = cfg.contexts?.find((c) => c.name === name);
  if (!context) throw new UsageError(`there is no context ${JSON.stringify(name)} in ${where} (see 'zonectl config control-planes list')`);
  const controlPlane = cfg.controlPlanes?.find((cp) => cp.name === context.controlPlane);
  if (!controlPlane || !controlPlane.coordinates.apiServer.url) {
    throw new UsageError(`context ${JSON.stringify(name)} points at control plane ${JSON.stringify(context.controlPlane)}, which ${where} does not define (re-add it with 'zonectl config control-planes add')`);
  }
  return { context, controlPlane };
}

/** Headers of a control plane: its `headers` list plus the auth plugin's (`tokens`: bearer token). */
export function apiHeaders(cp: ControlPlaneConfig): Record<string, string> {
  const api = cp.coordinates.apiServer;
  const headers: Record<string, string> = {};
  for (const h of api.headers ?? []) headers[h.key.toLowerCase()] = h.value;
  if (api.authType) {
    if (api.authType !== 'tokens') {
      throw new UsageError(`control plane ${JSON.stringify(cp.name)} uses auth type ${JSON.stringify(api.authType)}; zonectl knows only "tokens"`);
    }
    const token = api.authConf?.token;
    if (!token) throw new UsageError(`control plane ${JSON.stringify(cp.name)} uses auth type "tokens" without a token (add --auth-conf token=...)`);
    headers.authorization = `Bearer ${token}`;
  }
  return headers;
}

export function parseTimeout(text: string): number {
  const ms = parseGoDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`invalid --api-timeout ${JSON.stringify(text)}: expected a positive duration like 30s or 1m`);
  return ms;
}
