/**
 * The SQLite store's file on disk before SQLite opens it. SQLite treats a zero-length file as a
 * new, empty database, and silently discards a write-ahead log whose database file is missing or
 * empty: either would start a new cluster with new signing keys (every zone token invalid) while
 * the operator believes the old one is running. So the store starts empty only when neither the
 * file nor its log exist, creates it atomically (a crash during the first start leaves no empty
 * file behind), and refuses every other file that is not a database, saying how to recover.
 */
import Database from 'better-sqlite3';
import { closeSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { UnavailableError } from '../../core/errors.js';
import { migrate } from './migrations.js';

const RECOVER = 'restore it from a backup, or move it away to start a new, empty cluster (new signing keys: every zone token must be minted again)';

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

/**
 * Checks `file` before opening it; when it does not exist (a first start), creates it as an empty,
 * migrated database in WAL mode under a temporary name and renames it into place.
 */
export function prepareStoreFile(file: string): void {
  const size = sizeOf(file);
  const wal = sizeOf(`${file}-wal`) ?? 0;
  if (size === 0) {
    throw new UnavailableError(`the store ${file} is empty (0 bytes), not a zonectl database: ${RECOVER}, e.g. mv ${file} ${file}.empty${wal > 0 ? ` ${file}-wal ${file}-wal.empty` : ''}`);
  }
  if (size !== undefined) return;
  if (wal > 0) {
    throw new UnavailableError(
      `the store ${file} is missing but its write-ahead log ${file}-wal (${wal} bytes) is there: the database was moved or deleted, and opening the log alone would lose it. Put ${file} back (or restore it from a backup), or move ${file}-wal away to start a new, empty cluster (new signing keys: every zone token must be minted again)`,
    );
  }
  const tmp = `${file}.new`;
  rmSync(tmp, { force: true });
  rmSync(`${tmp}-wal`, { force: true });
  // The store holds secrets (signing keys): create it 0600; SQLite gives -wal the same mode.
  closeSync(openSync(tmp, 'wx', 0o600));
  const db = new Database(tmp);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    migrate(db, file);
  } finally {
    db.close();
  }
  renameSync(tmp, file);
}

/** Translates SQLite's refusal of a file that is not a database into what to do about it. */
export function notADatabase(err: unknown, file: string): unknown {
  const code = (err as { code?: string }).code ?? '';
  if (code !== 'SQLITE_NOTADB' && !code.startsWith('SQLITE_CORRUPT')) return err;
  return new UnavailableError(`the store ${file} is not a valid SQLite database (${(err as Error).message}): ${RECOVER}`);
}

