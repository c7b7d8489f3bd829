/**
 * Connection settings for the PostgreSQL store and the translation of driver errors into the
 * messages users see. The URL is libpq's (`postgres://user[:password]@host:port/db?sslmode=...`,
 * with `sslrootcert`, `sslcert`, `sslkey` read by the `pg` driver); a password file wins over a
 * password in the URL so secrets can stay out of process listings.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { UnavailableError, UsageError } from '../../../core/errors.js';

export interface PostgresConnectOptions {
  /** `postgres://user@host:5432/db` (also `postgresql://`). */
  url: string;
  /** File whose first line is the password. */
  passwordFile?: string;
  /** Pool size: connections this instance opens at most (default 10). */
  maxConnections?: number;
  /**
   * Bytes of documents this instance keeps in memory to answer reads without reading them from
   * the database (default 64 MiB; 0 = none). See ./cache.ts.
   */
  cacheBytes?: number;
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

export function poolConfig(opts: PostgresConnectOptions): pg.PoolConfig {
  let u: URL;
  try {
    u = new URL(opts.url);
  } catch {
    throw new UsageError(`--postgres-url ${JSON.stringify(redactUrl(opts.url))} is not a URL; expected postgres://USER@HOST:5432/DATABASE`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new UsageError(`--postgres-url must start with postgres:// (got ${u.protocol}//); expected postgres://USER@HOST:5432/DATABASE`);
  }
  if (!u.pathname || u.pathname === '/') throw new UsageError(`--postgres-url ${redactUrl(opts.url)} names no database; add it as the path, e.g. postgres://zonectl@${u.host || 'localhost'}/zonectl`);
  const cfg: pg.PoolConfig = {
    connectionString: opts.url,
    max: opts.maxConnections ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'zonectl',
    // TCP keepalive notices a silently dead server (or a cut network) on the listener connection.
    keepAlive: true,
  };
  if (opts.passwordFile) {
    let text: string;
    try {
      text = readFileSync(opts.passwordFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --postgres-password-file ${opts.passwordFile}: ${(err as Error).message}`);
    }
    cfg.password = text.split(/\r?\n/)[0];
  }
  if (opts.maxConnections !== undefined && (!Number.isInteger(opts.maxConnections) || opts.maxConnections < 2)) {
    throw new UsageError(`--postgres-max-connections must be an integer of at least 2 (one is held for change notifications), got ${opts.maxConnections}`);
  }
  return cfg;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

/** True for errors that mean "the server (or the connection to it) is gone", worth a retry. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e.code && UNREACHABLE.has(e.code)) return true;
  // 57P01..57P03: the server is shutting down / in recovery; 08xxx: connection exceptions.
  if (e.code && (/^57P0[123]$/.test(e.code) || e.code.startsWith('08'))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/.test(e.message ?? '');
}

/**
 * A driver error as the coded error users see. Connection problems, bad credentials and a
 * missing database get a message naming the server and the next step; anything else is the
 * server's own message behind "PostgreSQL: ".
 */
export function translate(err: unknown, url: string): Error {
  const e = err as { code?: string; message?: string };
  const where = redactUrl(url);
  if (e instanceof UnavailableError || e instanceof UsageError) return e;
  if (e.code === '28P01' || e.code === '28000') {
    return new UsageError(`PostgreSQL at ${where} refused the login: ${e.message} (check the user and the password in --postgres-url or --postgres-password-file)`);
  }
  if (e.code === '3D000') return new UsageError(`PostgreSQL at ${where}: ${e.message} (create it first: createdb -O USER DATABASE)`);
  if (isConnectionError(err)) {
    return new UnavailableError(`cannot reach PostgreSQL at ${where}: ${e.message ?? e.code ?? 'connection failed'} (is the server running and the address right?)`);
  }
  return new UnavailableError(`PostgreSQL at ${where} failed: ${e.message ?? String(err)}`);
}
