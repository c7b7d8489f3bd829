/**
 * The CLI's config file, `~/.zonectl/config`, in kumactl's shape (kumactl_config.proto): control
 * planes with their API server coordinates, contexts that point at one, and the current context.
 * Like kumactl (protojson) it reads both camelCase and snake_case keys and writes camelCase. It
 * can hold client keys' paths and tokens, so it is written with mode 0600, atomically.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { UsageError } from '../core/errors.js';

export interface HeaderConfig {
  key: string;
  value: string;
}

export interface ApiServerConfig {
  url: string;
  caCertFile?: string;
  clientCertFile?: string;
  clientKeyFile?: string;
  headers?: HeaderConfig[];
  /** `tokens`: send `authConf.token` as a bearer token. */
  authType?: string;
  authConf?: Record<string, string>;
  skipVerify?: boolean;
}

export interface ControlPlaneConfig {
  name: string;
  coordinates: { apiServer: ApiServerConfig };
}

export interface ContextConfig {
  name: string;
  controlPlane: string;
  defaults?: { mesh?: string };
}

export interface ZonectlConfig {
  controlPlanes?: ControlPlaneConfig[];
  contexts?: ContextConfig[];
  currentContext?: string;
}

export const LOCAL_URL = 'http://127.0.0.1:5681';

/** The config written on first use: one `local` context at the default API address. */
export function localConfig(): ZonectlConfig {
  return {
    controlPlanes: [{ name: 'local', coordinates: { apiServer: { url: LOCAL_URL } } }],
    contexts: [{ name: 'local', controlPlane: 'local' }],
    currentContext: 'local',
  };
}

/** `--config-file`, else `$ZONECTL_CONFIG`, else `~/.zonectl/config`. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.ZONECTL_CONFIG || join(env.HOME || homedir(), '.zonectl', 'config');
}

/** Reads the config; undefined when the file does not exist. */
export function readConfig(path: string): ZonectlConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`could not read the config file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new UsageError(`the config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]} (fix it, or pass --no-config)`);
  }
  return normalize(raw);
}

/** Reads the config, writing the default `local` one first when there is none (kumactl does too). */
export function readOrInitConfig(path: string): ZonectlConfig {
  const existing = readConfig(path);
  if (existing) return existing;
  const cfg = localConfig();
  writeConfig(path, cfg);
  return cfg;
}

/**
 * The config of a command that reads contexts. A file named explicitly (--config-file or
 * ZONECTL_CONFIG) must exist: a typo in the path would otherwise silently talk to the default
 * `local` context. Only the default ~/.zonectl/config is created on first use (as kumactl does);
 * `config control-planes add` creates any path it is given (it calls readOrInitConfig).
 */
export function loadConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { path: string; config: ZonectlConfig } {
  const path = configPath(flag, env);
  if (!flag && !env.ZONECTL_CONFIG) return { path, config: readOrInitConfig(path) };
  const config = readConfig(path);
  if (!config) {
    // oclif fills the flag from ZONECTL_CONFIG too; name the variable when that is where it came from.
    const how = flag && flag !== env.ZONECTL_CONFIG ? '--config-file' : 'ZONECTL_CONFIG';
    throw new UsageError(`the config file ${path} (from ${how}) does not exist: check the path, or create it with 'zonectl config control-planes add --config-file ${path} --name NAME --address URL'`);
  }
  return { path, config };
}

/** Writes atomically (temp file + rename) with mode 0600; the directory gets 0700 when created. */
export function writeConfig(path: string, cfg: ZonectlConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, renderConfig(cfg), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The YAML of a config, camelCase, keys in kumactl's order; `{}` when empty (as kumactl). */
/** Values of `authConf` and headers that carry credentials are shown as this unless asked. */
export const REDACTED = '[redacted]';

/** The config with every auth-conf value and Authorization-like header value replaced (`config view`). */
export function redactConfig(cfg: ZonectlConfig): ZonectlConfig {
  return {
    ...cfg,
    controlPlanes: cfg.controlPlanes?.map((cp) => {
      const api = { ...cp.coordinates.apiServer };
      if (api.authConf) api.authConf = Object.fromEntries(Object.keys(api.authConf).map((k) => [k, REDACTED]));
      if (api.headers) api.headers = api.headers.map((h) => (/authorization|token|key|secret|cookie/i.test(h.key) ? { ...h, value: REDACTED } : h));
      return { ...cp, coordinates: { ...cp.coordinates, apiServer: api } };
    }),
  };
}

export function renderConfig(cfg: ZonectlConfig): string {
  const out: Record<string, unknown> = {};
  if (cfg.contexts?.length) out.contexts = cfg.contexts.map((c) => dropEmpty({ controlPlane: c.controlPlane, defaults: c.defaults?.mesh ? { mesh: c.defaults.mesh } : undefined, name: c.name }));
  if (cfg.controlPlanes?.length) {
    out.controlPlanes = cfg.controlPlanes.map((cp) => ({ coordinates: { apiServer: dropEmpty({ ...cp.coordinates.apiServer }) }, name: cp.name }));
  }
  if (cfg.currentContext) out.currentContext = cfg.currentContext;
  return Object.keys(out).length === 0 ? '{}\n' : stringify(out, { indentSeq: false });
}

function dropEmpty<T extends object>(obj: T): T {
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === '' || v === false || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0)) delete (obj as Record<string, unknown>)[k];
  }
  return obj;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function pick(obj: Record<string, unknown>, camel: string): unknown {
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return obj[camel] ?? obj[snake];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Accepts kumactl's camelCase and proto snake_case spellings. */
function normalize(raw: unknown): ZonectlConfig {
  if (raw === null || raw === undefined) return {};
  if (!isObject(raw)) throw new UsageError('the config file must be a YAML mapping (see zonectl config view)');
  const cps = pick(raw, 'controlPlanes');
  const ctxs = pick(raw, 'contexts');
  const cfg: ZonectlConfig = {};
  if (Array.isArray(cps)) {
    cfg.controlPlanes = cps.filter(isObject).map((cp) => {
      const coords = isObject(cp.coordinates) ? cp.coordinates : {};
      const api = (pick(coords, 'apiServer') ?? {}) as Record<string, unknown>;
      const headers = pick(api, 'headers');
      const authConf = pick(api, 'authConf');
      const apiServer: ApiServerConfig = {
        url: str(api.url) ?? '',
        caCertFile: str(pick(api, 'caCertFile')),
        clientCertFile: str(pick(api, 'clientCertFile')),
        clientKeyFile: str(pick(api, 'clientKeyFile')),
        headers: Array.isArray(headers) ? headers.filter(isObject).map((h) => ({ key: String(h.key ?? ''), value: String(h.value ?? '') })) : undefined,
        authType: str(pick(api, 'authType')),
        authConf: isObject(authConf) ? Object.fromEntries(Object.entries(authConf).map(([k, v]) => [k, String(v)])) : undefined,
        skipVerify: pick(api, 'skipVerify') === true ? true : undefined,
      };
      return { name: str(cp.name) ?? '', coordinates: { apiServer: dropEmpty(apiServer) } };
    });
  }
  if (Array.isArray(ctxs)) {
    cfg.contexts = ctxs.filter(isObject).map((c) => {
      const defaults = isObject(c.defaults) ? c.defaults : undefined;
      const ctx: ContextConfig = { name: str(c.name) ?? '', controlPlane: str(pick(c, 'controlPlane')) ?? '' };
      if (defaults && str(defaults.mesh)) ctx.defaults = { mesh: str(defaults.mesh) };
      return ctx;
    });
  }
  const current = str(pick(raw, 'currentContext'));
  if (current) cfg.currentContext = current;
  return cfg;
}
