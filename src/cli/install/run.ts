/**
 * `zonectl install crds` and `zonectl install control-plane` without oclif: read the values
 * files, resolve the values, make the credentials, render. Returns the manifest text.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseGoDuration } from '../../core/duration.js';
import { UsageError, ValidationError } from '../../core/errors.js';
import { renderManifest } from '../../install/common.js';
import { renderControlPlane } from '../../install/control-plane.js';
import { renderCrds } from '../../install/crds.js';
import { resolveValues } from '../../install/values.js';
import { clientVersion } from '../version.js';
import { installCredentials } from './credentials.js';

export function installCrdsManifest(): string {
  return renderManifest(renderCrds({ 'app.kubernetes.io/name': 'zonectl', 'app.kubernetes.io/version': clientVersion().version, 'app.kubernetes.io/managed-by': 'zonectl' }));
}

export interface InstallControlPlaneArgs {
  namespace: string;
  egressEnabled: boolean;
  valuesFiles: string[];
  sets: string[];
  signingKeyPath?: string;
  image?: string;
  /** RFC 3339; default SOURCE_DATE_EPOCH (seconds) when set, else now. */
  issuedAt?: string;
}

export async function installControlPlaneManifest(args: InstallControlPlaneArgs, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const files = args.valuesFiles.map((name) => ({ name, values: readValuesFile(name) }));
  // --egress-enabled is kumactl's flag for `egress.enabled: true`; it wins over the files.
  const sets = [...args.sets, ...(args.egressEnabled ? ['egress.enabled=true'] : [])];
  const values = resolveValues({ files, sets });
  const tokenValidForMs = parseGoDuration(values.egress.tokenValidFor);
  if (tokenValidForMs === undefined || tokenValidForMs < 60_000) {
    throw new ValidationError(`invalid values: egress.tokenValidFor: ${JSON.stringify(values.egress.tokenValidFor)} is not a duration of at least 1m (Go syntax, e.g. 8760h)`, [
      { field: 'egress.tokenValidFor', message: 'must be a duration of at least 1m' },
    ]);
  }
  const version = clientVersion().version;
  const creds = await installCredentials({
    signingKeyPath: args.signingKeyPath,
    zone: values.controlPlane.zone,
    egress: values.egress.enabled,
    tokenValidForMs,
    issuedAt: issuedAt(args.issuedAt, env),
  });
  return renderManifest(renderControlPlane(values, creds, { namespace: args.namespace, image: args.image ?? `zonectl:${version}`, version }));
}

function issuedAt(flag: string | undefined, env: NodeJS.ProcessEnv): Date {
  if (flag !== undefined) {
    const t = new Date(flag);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(flag) || Number.isNaN(t.getTime())) throw new UsageError(`--issued-at ${JSON.stringify(flag)} is not an RFC 3339 time, e.g. 2026-01-01T00:00:00Z`);
    return t;
  }
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== '') {
    if (!/^\d+$/.test(epoch)) throw new UsageError(`SOURCE_DATE_EPOCH ${JSON.stringify(epoch)} is not a number of seconds`);
    return new Date(Number(epoch) * 1000);
  }
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

function readValuesFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--values: cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    throw new ValidationError(`--values ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}
