/**
 * `zonectl version`: the client's version and, unless --client, the version of the control plane
 * of the current context (kumactl's `version` prints `Client:` and `Server:` lines the same way).
 * An unreachable control plane is not an error here: the client line is still useful, and the
 * server line says why it is missing.
 */
import { readFileSync } from 'node:fs';
import { isZonectlError } from '../core/errors.js';
import type { ApiClient } from '../client/api-client.js';
import { getIndex } from '../client/system.js';

export interface ClientVersion {
  product: 'zonectl';
  version: string;
  node: string;
  platform: string;
}

export interface ServerVersion {
  url: string;
  product?: string;
  version?: string;
  basedOnKuma?: string;
  /** Set instead of the fields above when the control plane could not be asked. */
  error?: string;
}

export interface VersionInfo {
  client: ClientVersion;
  server?: ServerVersion;
}

export function clientVersion(): ClientVersion {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return { product: 'zonectl', version: pkg.version, node: process.version, platform: `${process.platform}-${process.arch}` };
}

export async function serverVersion(client: ApiClient): Promise<ServerVersion> {
  try {
    const index = (await getIndex(client)) as { product?: string; tagline?: string; version?: string; basedOnKuma?: string };
    const product = index.product ?? index.tagline ?? 'unknown';
    const out: ServerVersion = { url: client.baseUrl, product, version: index.version };
    // kuma-cp is Kuma itself; zonectl says which Kuma it follows.
    const basedOnKuma = index.basedOnKuma ?? (/kuma/i.test(product) ? index.version : undefined);
    if (basedOnKuma !== undefined) out.basedOnKuma = basedOnKuma;
    return out;
  } catch (err) {
    if (isZonectlError(err)) return { url: client.baseUrl, error: err.message };
    throw err;
  }
}

export function renderVersionText(info: VersionInfo): string {
  const lines = [`Client: zonectl ${info.client.version} (node ${info.client.node}, ${info.client.platform})`];
  const s = info.server;
  if (s) {
    if (s.error !== undefined) lines.push(`Server: unavailable: ${s.error}`);
    else lines.push(`Server: ${s.product} ${s.version ?? '(no version)'}${s.basedOnKuma && s.product !== 'Kuma' ? ` (based on Kuma ${s.basedOnKuma})` : ''} at ${s.url}`);
  }
  return `${lines.join('\n')}\n`;
}
