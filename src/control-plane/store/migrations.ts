/**
 * SQLite schema migrations, applied in order at start inside one transaction. The schema version
 * is SQLite's `user_version`. Append a migration to change the schema; never edit a released one.
 */
import type { Database } from 'better-sqlite3';
import { UnavailableError } from '../../core/errors.js';

export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE resources (
        type TEXT NOT NULL,
        mesh TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (type, mesh, name)
      ) WITHOUT ROWID;
      -- Lists are ordered by (name, mesh) within a type, like Kuma's.
      CREATE INDEX resources_by_name ON resources (type, name, mesh);
    `,
  },
];

export function migrate(db: Database, file: string): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
  if (current > latest) {
    throw new UnavailableError(`the store ${file} has schema version ${current}, newer than this zonectl knows (${latest}); upgrade zonectl or use another --data-dir`);
  }
  db.transaction(() => {
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  })();
  return latest;
}
