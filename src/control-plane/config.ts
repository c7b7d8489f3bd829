/**
 * Settings of `zonectl control-plane run`, resolved from (highest first) flags, `ZONECTL_*`
 * environment variables, the `--config` file (YAML or JSON, keys as the flags: `api-port` or
 * `apiPort`), and the defaults. Pure apart from reading the config file, so it is tested directly.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from '../core/errors.js';
import type { CpMode } from '../resources/kds.js';
import { DEFAULT_KDS_PORT } from '../resources/multizone-protocol.js';
import { DEFAULTS, type StoreKind } from './index.js';
import { SERVER_LIMITS_DEFAULTS } from './server/limits.js';

export interface RunSettings {
  apiPort: number;
  apiAddress: string;
  apiTlsPort: number;
  apiTlsCert?: string;
  apiTlsKey?: string;
  apiTlsAuto: boolean;
  dpPort: number;
  /** Listen address of the egress dp-server (default 127.0.0.1, like the API: every interface only when asked with 0.0.0.0). */
  dpAddress: string;
  /** Comma-separated extra DNS names / IPs for the dp-server certificate (e.g. its Kubernetes Service). */
  dpServerNames?: string;
  /** CA the dp-server certificate is issued from (PEM files); default: created in <data-dir>/dp-server/. */
  dpServerCaCert?: string;
  dpServerCaKey?: string;
  zone: string;
  dataDir: string;
  /** `--store memory` without --data-dir: nothing is written to disk (keys and certificates in memory). */
  inMemory?: boolean;
  store: StoreKind;
  localhostIsAdmin: boolean;
  /** `--store postgres`: the database, a password file, the pool size. */
  postgresUrl?: string;
  postgresPasswordFile?: string;
  postgresMaxConnections?: number;
  /** MiB of documents each instance keeps in memory to answer reads (0 = none). */
  postgresCacheMb?: number;
  /** standalone (default), global or zone (docs/multizone.md). */
  mode: CpMode;
  /** Global: the port zone control planes connect to (default 5685, Kuma's KDS port). */
  kdsPort: number;
  kdsAddress: string;
  /** Zone: the global's KDS address, `https://HOST:5685`. */
  globalAddress?: string;
  /** Zone: file with a zone token of scope `cp`, minted on the global. */
  globalTokenFile?: string;
  /** Zone: CA that signed the global's KDS certificate (the global's `<data-dir>/kds-server/ca.crt`). */
  globalCaCertFile?: string;
  /** Open connections each listener (API, API TLS, dp-server) accepts; beyond, new ones are closed at once. */
  maxConnections: number;
}

type Spec = { key: keyof RunSettings; flag: string; kind: 'port' | 'string' | 'bool' | 'store' | 'count' | 'mode' | 'limit' | 'megabytes' };

export const SETTINGS: Spec[] = [
  { key: 'apiPort', flag: 'api-port', kind: 'port' },
  { key: 'apiAddress', flag: 'api-address', kind: 'string' },
  { key: 'apiTlsPort', flag: 'api-tls-port', kind: 'port' },
  { key: 'apiTlsCert', flag: 'api-tls-cert', kind: 'string' },
  { key: 'apiTlsKey', flag: 'api-tls-key', kind: 'string' },
  { key: 'apiTlsAuto', flag: 'api-tls-auto', kind: 'bool' },
  { key: 'dpPort', flag: 'dp-port', kind: 'port' },
  { key: 'dpAddress', flag: 'dp-address', kind: 'string' },
  { key: 'dpServerNames', flag: 'dp-server-names', kind: 'string' },
  { key: 'dpServerCaCert', flag: 'dp-server-ca-cert', kind: 'string' },
  { key: 'dpServerCaKey', flag: 'dp-server-ca-key', kind: 'string' },
  { key: 'zone', flag: 'zone', kind: 'string' },
  { key: 'dataDir', flag: 'data-dir', kind: 'string' },
  { key: 'store', flag: 'store', kind: 'store' },
  { key: 'localhostIsAdmin', flag: 'localhost-is-admin', kind: 'bool' },
  { key: 'postgresUrl', flag: 'postgres-url', kind: 'string' },
  { key: 'postgresPasswordFile', flag: 'postgres-password-file', kind: 'string' },
  { key: 'postgresMaxConnections', flag: 'postgres-max-connections', kind: 'count' },
  { key: 'postgresCacheMb', flag: 'postgres-cache-mb', kind: 'megabytes' },
  { key: 'mode', flag: 'mode', kind: 'mode' },
  { key: 'kdsPort', flag: 'kds-port', kind: 'port' },
  { key: 'kdsAddress', flag: 'kds-address', kind: 'string' },
  { key: 'globalAddress', flag: 'global-address', kind: 'string' },
  { key: 'globalTokenFile', flag: 'global-token-file', kind: 'string' },
  { key: 'globalCaCertFile', flag: 'global-ca-cert-file', kind: 'string' },
  { key: 'maxConnections', flag: 'max-connections', kind: 'limit' },
];

/** `api-port` -> `ZONECTL_API_PORT` */
export function envName(flag: string): string {
  return `ZONECTL_${flag.toUpperCase().replace(/-/g, '_')}`;
}

export function resolveRunSettings(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): RunSettings {
  const configFile = (flags.config as string | undefined) ?? env.ZONECTL_CP_CONFIG;
  const file = configFile ? readConfig(configFile) : {};
  const out: Record<string, unknown> = {
    ...DEFAULTS,
    apiTlsAuto: false,
    dpAddress: '127.0.0.1',
    localhostIsAdmin: true,
    mode: 'standalone',
    kdsPort: DEFAULT_KDS_PORT,
    kdsAddress: '127.0.0.1',
    maxConnections: SERVER_LIMITS_DEFAULTS.maxConnections,
  };
  const given = new Set<string>();
  for (const s of SETTINGS) {
    const camel = s.key;
    const sources: [unknown, string][] = [
      [flags[s.flag], `--${s.flag}`],
      [env[envName(s.flag)], envName(s.flag)],
      [file[s.flag] ?? file[camel], `${s.flag} in ${configFile}`],
    ];
    const found = sources.find(([v]) => v !== undefined && v !== '');
    if (found) {
      out[camel] = coerce(s, found[0], found[1]);
      given.add(s.flag);
    }
  }
  const settings = out as unknown as RunSettings;
  settings.inMemory = settings.store === 'memory' && !given.has('data-dir');
  checkMode(settings, given);
  return settings;
}

/** The settings each mode needs, and the ones it cannot use, named as flags. */
function checkMode(s: RunSettings, given: Set<string>): void {
  const zoneOnly = ['global-address', 'global-token-file', 'global-ca-cert-file'].filter((f) => given.has(f));
  if (s.mode === 'zone') {
    const missing = [given.has('zone') ? '' : '--zone NAME', s.globalAddress ? '' : '--global-address https://HOST:5685', s.globalTokenFile ? '' : '--global-token-file FILE'].filter(Boolean);
    if (missing.length) {
      throw new UsageError(`--mode zone needs ${missing.join(', ')} (mint the token on the global: zonectl generate zone-token --zone NAME --scope cp --valid-for 720h)`);
    }
    if (s.zone === 'global' || s.zone === '') throw new UsageError(`--zone ${JSON.stringify(s.zone)} cannot name a zone; pick a name such as zone-1`);
    if (!/^https?:\/\//.test(s.globalAddress!)) throw new UsageError(`--global-address ${JSON.stringify(s.globalAddress)} must be a URL such as https://global.example.com:5685`);
    return;
  }
  if (zoneOnly.length) throw new UsageError(`--${zoneOnly.join(', --')} only apply with --mode zone`);
  if (s.mode === 'global' && given.has('zone')) throw new UsageError('a global control plane has no zone: drop --zone, or run with --mode zone');
}

function readConfig(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the config file ${path}: ${(err as Error).message}`);
  }
  let v: unknown;
  try {
    v = parse(text);
  } catch (err) {
    throw new UsageError(`the config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`the config file ${path} must be a mapping of settings (e.g. "api-port: 5681")`);
  const known = new Set(SETTINGS.flatMap((s) => [s.flag, s.key as string]));
  const unknown = Object.keys(v).filter((k) => !known.has(k));
  if (unknown.length) throw new UsageError(`unknown setting(s) ${unknown.join(', ')} in ${path}; known: ${SETTINGS.map((s) => s.flag).join(', ')}`);
  return v as Record<string, unknown>;
}

function coerce(s: Spec, v: unknown, where: string): unknown {
  switch (s.kind) {
    case 'port': {
      const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${where}: "${String(v)}" is not a port (0-65535)`);
      return n;
    }
    case 'count': {
      const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < 2 || n > 1000) throw new UsageError(`${where}: "${String(v)}" is not a connection count (2-1000)`);
      return n;
    }
    case 'limit': {
      const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`${where}: "${String(v)}" is not a positive whole number`);
      return n;
    }
    case 'megabytes': {
      const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw new UsageError(`${where}: "${String(v)}" is not a size in MiB (0 or a positive whole number)`);
      return n;
    }
    case 'bool': {
      if (typeof v === 'boolean') return v;
      const t = String(v).toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      throw new UsageError(`${where}: "${String(v)}" is not a boolean (true or false)`);
    }
    case 'mode': {
      const t = String(v);
      if (t !== 'standalone' && t !== 'global' && t !== 'zone') throw new UsageError(`${where}: unknown mode "${t}"; use standalone, global or zone`);
      return t;
    }
    case 'store': {
      const t = String(v);
      if (t !== 'sqlite' && t !== 'memory' && t !== 'postgres') throw new UsageError(`${where}: unknown store "${t}"; use sqlite, memory or postgres`);
      return t;
    }
    default:
      return String(v);
  }
}
