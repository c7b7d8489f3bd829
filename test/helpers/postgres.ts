/**
 * Real PostgreSQL for tests. `scripts/test.mjs` starts ONE embedded server for the whole run
 * (when a selected test file imports this helper) and passes its admin URL in
 * ZONECTL_TEST_POSTGRES_URL; a file run on its own (`node --import tsx --test file`) starts one
 * for itself, stopped after its tests. Every test gets a fresh database, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { after, type TestContext } from 'node:test';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../../scripts/embedded-postgres.mjs';

let own: Promise<EmbeddedPostgresServer> | undefined;

after(async () => {
  if (own) await (await own).stop();
});

/** Admin URL of the shared server (starting this file's own when the runner gave none). */
export async function postgresAdminUrl(): Promise<string> {
  const shared = process.env.ZONECTL_TEST_POSTGRES_URL;
  if (shared) return shared;
  own ??= startEmbeddedPostgres();
  return (await own).url;
}

/** Runs one statement as the admin on the `postgres` database. */
export async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: await postgresAdminUrl() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh, empty database; its URL. Dropped (connections cut) after the test. */
export async function freshDatabase(t: Pick<TestContext, 'after'>): Promise<string> {
  const admin = await postgresAdminUrl();
  const name = `zt_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  t.after(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}
