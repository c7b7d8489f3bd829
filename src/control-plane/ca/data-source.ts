/**
 * Kuma's DataSource (`secret` | `file` | `inline` | `inlineString`), used by the `provided` CA
 * backend and by ExternalService TLS settings. zonectl has no mesh-scoped Secret kind, so a
 * `secret` names a GlobalSecret (its `data` is base64, as in Kuma).
 */
import { readFileSync } from 'node:fs';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { Store } from '../store/types.js';

export type DataSource = { secret?: string; file?: string; inline?: string; inlineString?: string };

/** Secrets already loaded (name -> decoded text), for synchronous resolution inside a pure step. */
export type SecretTable = ReadonlyMap<string, string>;

export function isDataSource(v: unknown): v is DataSource {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return ['secret', 'file', 'inline', 'inlineString'].some((k) => typeof o[k] === 'string');
}

/** Decodes a GlobalSecret resource's `data` (base64) to text. */
export function secretText(resource: Record<string, unknown>): string {
  return Buffer.from(String(resource.data ?? ''), 'base64').toString('utf8');
}

/**
 * Resolves a data source with secrets from `secrets`. Throws ValidationError naming `field` when
 * the source is empty, a secret is missing or a file cannot be read.
 */
export function resolveDataSourceSync(ds: unknown, field: string, secrets: SecretTable): string {
  if (!isDataSource(ds)) throw new ValidationError(`${field}: data source is empty`, [{ field, message: 'data source must set one of secret, file, inline, inlineString' }]);
  if (typeof ds.inlineString === 'string') return ds.inlineString;
  if (typeof ds.inline === 'string') return Buffer.from(ds.inline, 'base64').toString('utf8');
  if (typeof ds.secret === 'string') {
    const text = secrets.get(ds.secret);
    if (text === undefined) throw new ValidationError(`${field}: secret ${ds.secret} not found`, [{ field: `${field}.secret`, message: `secret ${JSON.stringify(ds.secret)} not found (create it with: zonectl apply -f a GlobalSecret named ${ds.secret})` }]);
    return text;
  }
  try {
    return readFileSync(String(ds.file), 'utf8');
  } catch (err) {
    throw new ValidationError(`${field}: cannot read file ${ds.file}`, [{ field: `${field}.file`, message: `cannot read file ${JSON.stringify(ds.file)} on the control plane: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
}

/** Resolves one data source, loading a referenced secret from the store. */
export async function resolveDataSource(store: Store, ds: unknown, field: string): Promise<string> {
  const secrets = new Map<string, string>();
  if (isDataSource(ds) && typeof ds.secret === 'string' && ds.inlineString === undefined && ds.inline === undefined) {
    try {
      const got = await store.get({ type: 'GlobalSecret', name: ds.secret });
      secrets.set(ds.secret, secretText(got.resource));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  return resolveDataSourceSync(ds, field, secrets);
}

/** Every GlobalSecret, decoded, keyed by name. */
export async function loadSecrets(store: Store): Promise<Map<string, string>> {
  const { items } = await store.list({ type: 'GlobalSecret' });
  return new Map(items.map((i) => [i.resource.name, secretText(i.resource)]));
}
