/**
 * The SQLite store's file on disk before SQLite opens it. SQLite treats a zero-length file as a
 * new, empty database, and silently discards a write-ahead log whose database file is missing or
 * empty: either would start a new cluster with new signing keys (every zone token invalid) while
 * the operator believes the old one is running. So the store starts empty only when neither the
 * file nor its log exist, creates it atomically (a crash during the first start leaves no empty
 * file behind), and refuses every other file that is not a database, saying how to recover.
 */
import Database from 'better-sqlite3';
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
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
    // Set before the first table: lets the store hand the pages of deleted resources back to the
    // file system (PRAGMA incremental_vacuum) when the disk is full.
    db.pragma('auto_vacuum = INCREMENTAL');
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


/** SQLite's answer when a write needs space the disk (or max_page_count) does not have. */
export function isDiskFull(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === 'SQLITE_FULL';
}

/**
 * Space kept aside beside the store (`<store>.reserve`, zeros), given back to the file system when
 * the disk fills up, so that deletes (which SQLite writes to the log before it can free anything)
 * still go through and the operator can make room. As etcd does with its space quota, the store
 * then accepts only deletes until the reserve could be laid aside again.
 */
export class DiskReserve {
  constructor(
    readonly file: string,
    readonly bytes: number,
  ) {}

  /** Lays the reserve aside; false when the disk does not have the room (nothing is left behind). */
  ensure(): boolean {
    if (this.bytes <= 0) return true;
    try {
      if (statSync(this.file).size >= this.bytes) return true;
    } catch {
      // Missing: create it below.
    }
    let fd: number | undefined;
    try {
      fd = openSync(this.file, 'w', 0o600);
      // Real blocks, not a sparse file: the point is to hold space.
      const chunk = Buffer.alloc(Math.min(this.bytes, 1 << 20));
      for (let done = 0; done < this.bytes; ) done += writeSync(fd, chunk, 0, Math.min(chunk.length, this.bytes - done));
      return true;
    } catch {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      rmSync(this.file, { force: true });
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  release(): void {
    rmSync(this.file, { force: true });
  }
}
