/**
 * The PostgreSQL schema and its migrations. Migrations run at start under a session advisory lock,
 * so instances starting together apply each one exactly once; each runs in its own transaction
 * and bumps `zonectl_schema.version`. Append a migration to change the schema; never edit one
 * that was released.
 *
 * Writes go through one function, `zonectl_apply`, that applies a batch of writes in one
 * statement (one round trip, one commit). It takes a transaction advisory lock first: writers of
 * every instance commit one batch at a time, so change sequence numbers are handed out in commit
 * order and a reader that sees change N has already seen every change before it (no gaps to wait
 * for). Batching keeps that cheap: 50 concurrent PUTs cost one commit, not 50.
 */
import type pg from 'pg';
import { UnavailableError } from '../../../core/errors.js';

/** Advisory-lock namespace (first key of the two-key form): "zone" in ASCII. */
export const LOCK_NS = 0x7a6f6e65;
/** Second key of the writer lock and the migration lock, in their own namespaces. */
export const WRITER_LOCK: [number, number] = [LOCK_NS + 1, 0];
export const MIGRATION_LOCK: [number, number] = [LOCK_NS + 1, 1];
/** The NOTIFY channel change events go out on. */
export const CHANNEL = 'zonectl_changes';

export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      -- COLLATE "C": byte order, the order the memory and SQLite stores list in.
      CREATE TABLE zonectl_resources (
        type text COLLATE "C" NOT NULL,
        mesh text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        version integer NOT NULL,
        creation_time text NOT NULL,
        doc text NOT NULL,
        PRIMARY KEY (type, name, mesh)
      );
      CREATE SEQUENCE zonectl_change_seq;
      -- Every committed change, with the document after it, so an instance whose listener was
      -- down replays exactly what it missed. Old entries are pruned (see PostgresStore).
      CREATE TABLE zonectl_changes (
        seq bigint PRIMARY KEY,
        op text NOT NULL,
        type text NOT NULL,
        mesh text NOT NULL,
        name text NOT NULL,
        version integer NOT NULL,
        doc text,
        instance text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX zonectl_changes_at ON zonectl_changes (at);

      -- One batch of writes. Per write: op (create|update|upsert|delete), key, the document
      -- without timestamps (spec), expected version (NULL = any). Returns one row per write:
      -- status ok|conflict|not-found|stale|stale-missing, the version (after the write; for
      -- stale: the stored one), the creation time, the change sequence number.
      CREATE FUNCTION zonectl_apply(p_op text[], p_type text[], p_mesh text[], p_name text[], p_spec text[], p_expected integer[], p_now text, p_instance text)
      RETURNS TABLE (status text, version integer, creation_time text, seq bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        i integer;
        cur_version integer;
        cur_ct text;
        v integer;
        ct text;
        d text;
        s bigint;
        kind text;
      BEGIN
        PERFORM pg_advisory_xact_lock(${WRITER_LOCK[0]}, ${WRITER_LOCK[1]});
        FOR i IN 1 .. coalesce(array_length(p_op, 1), 0) LOOP
          SELECT r.version, r.creation_time INTO cur_version, cur_ct FROM zonectl_resources r
            WHERE r.type = p_type[i] AND r.mesh = p_mesh[i] AND r.name = p_name[i];
          IF NOT FOUND THEN cur_version := NULL; END IF;
          kind := NULL;
          IF p_op[i] = 'delete' THEN
            IF cur_version IS NULL THEN status := 'not-found'; version := NULL;
            ELSIF p_expected[i] IS NOT NULL AND p_expected[i] <> cur_version THEN status := 'stale'; version := cur_version;
            ELSE
              DELETE FROM zonectl_resources r WHERE r.type = p_type[i] AND r.mesh = p_mesh[i] AND r.name = p_name[i];
              kind := 'delete'; v := cur_version; d := NULL; ct := cur_ct;
            END IF;
          ELSIF cur_version IS NULL THEN
            IF p_op[i] = 'update' THEN status := 'not-found'; version := NULL;
            ELSIF p_op[i] = 'upsert' AND p_expected[i] IS NOT NULL THEN status := 'stale-missing'; version := NULL;
            ELSE
              v := 1; ct := p_now;
              d := left(p_spec[i], -1) || ',"creationTime":' || to_json(ct)::text || ',"modificationTime":' || to_json(p_now)::text || '}';
              INSERT INTO zonectl_resources VALUES (p_type[i], p_mesh[i], p_name[i], v, ct, d);
              kind := 'create';
            END IF;
          ELSIF p_op[i] = 'create' THEN status := 'conflict'; version := cur_version;
          ELSIF p_expected[i] IS NOT NULL AND p_expected[i] <> cur_version THEN status := 'stale'; version := cur_version;
          ELSE
            v := cur_version + 1; ct := cur_ct;
            d := left(p_spec[i], -1) || ',"creationTime":' || to_json(ct)::text || ',"modificationTime":' || to_json(p_now)::text || '}';
            UPDATE zonectl_resources r SET version = v, doc = d WHERE r.type = p_type[i] AND r.mesh = p_mesh[i] AND r.name = p_name[i];
            kind := 'update';
          END IF;
          IF kind IS NULL THEN
            creation_time := NULL; seq := NULL;
          ELSE
            s := nextval('zonectl_change_seq');
            INSERT INTO zonectl_changes (seq, op, type, mesh, name, version, doc, instance) VALUES (s, kind, p_type[i], p_mesh[i], p_name[i], v, d, p_instance);
            PERFORM pg_notify('${CHANNEL}', json_build_object('seq', s, 'op', kind, 'type', p_type[i], 'mesh', p_mesh[i], 'name', p_name[i], 'version', v)::text);
            status := 'ok'; version := v; creation_time := ct; seq := s;
          END IF;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    // A page's `total` read from per-(type, mesh) counters kept by zonectl_apply, instead of
    // count(*) over every row of the type on each page request (a sequential scan: 2-3 ms at
    // 10,000 rows, the largest part of a page's cost). The writer lock keeps running instances'
    // writes out while the counters are filled, so none is missed or counted twice.
    version: 2,
    sql: `
      SELECT pg_advisory_xact_lock(${WRITER_LOCK[0]}, ${WRITER_LOCK[1]});
      CREATE TABLE zonectl_counts (
        type text COLLATE "C" NOT NULL,
        mesh text COLLATE "C" NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (type, mesh)
      );
      INSERT INTO zonectl_counts SELECT type, mesh, count(*) FROM zonectl_resources GROUP BY type, mesh;

      -- As in version 1, and the batch's creates (+1) and deletes (-1) added to zonectl_counts in
      -- one statement at the end (one counter update per (type, mesh), not per write).
      CREATE OR REPLACE FUNCTION zonectl_apply(p_op text[], p_type text[], p_mesh text[], p_name text[], p_spec text[], p_expected integer[], p_now text, p_instance text)
      RETURNS TABLE (status text, version integer, creation_time text, seq bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        i integer;
        cur_version integer;
        cur_ct text;
        v integer;
        ct text;
        d text;
        s bigint;
        kind text;
        c_type text[] := '{}';
        c_mesh text[] := '{}';
        c_delta integer[] := '{}';
      BEGIN
        PERFORM pg_advisory_xact_lock(${WRITER_LOCK[0]}, ${WRITER_LOCK[1]});
        FOR i IN 1 .. coalesce(array_length(p_op, 1), 0) LOOP
          SELECT r.version, r.creation_time INTO cur_version, cur_ct FROM zonectl_resources r
            WHERE r.type = p_type[i] AND r.mesh = p_mesh[i] AND r.name = p_name[i];
          IF NOT FOUND THEN cur_version := NULL; END IF;
          kind := NULL;
          IF p_op[i] = 'delete' THEN
            IF cur_version IS NULL THEN status := 'not-found'; version := NULL;
            ELSIF p_expected[i] IS NOT NULL AND p_expected[i] <> cur_version THEN status := 'stale'; version := cur_version;
            ELSE
              DELETE FROM zonectl_resources r WHERE r.type = p_type[i] AND r.mesh = p_mesh[i] AND r.name = p_name[i];
              kind := 'delete'; v := cur_version; d := NULL; ct := cur_ct;
              c_type := c_type || p_type[i]; c_mesh := c_mesh || p_mesh[i]; c_delta := c_delta || -1;
            END IF;
          ELSIF cur_version IS NULL THEN
            IF p_op[i] = 'update' THEN status := 'not-found'; version := NULL;
            ELSIF p_op[i] = 'upsert' AND p_expected[i] IS NOT NULL THEN status := 'stale-missing'; version := NULL;
            ELSE
              v := 1; ct := p_now;
              d := left(p_spec[i], -1) || ',"creationTime":' || to_json(ct)::text || ',"modificationTime":' || to_json(p_now)::text || '}';
              INSERT INTO zonectl_resources VALUES (p_type[i], p_mesh[i], p_name[i], v, ct, d);
              kind := 'create';
              c_type := c_type || p_type[i]; c_mesh := c_mesh || p_mesh[i]; c_delta := c_delta || 1;
            END IF;
          ELSIF p_op[i] = 'create' THEN status := 'conflict'; version := cur_version;
          ELSIF p_expected[i] IS NOT NULL AND p_expected[i] <> cur_version THEN status := 'stale'; version := cur_version;
          ELSE
            v := cur_version + 1; ct := cur_ct;
            d := left(p_spec[i], -1) || ',"creationTime":' || to_json(ct)::text || ',"modificationTime":' || to_json(p_now)::text || '}';
            UPDATE zonectl_resources r SET version = v, doc = d WHERE r.type = p_type[i] AND r.mesh = p_mesh[i] AND r.name = p_name[i];
            kind := 'update';
          END IF;
          IF kind IS NULL THEN
            creation_time := NULL; seq := NULL;
          ELSE
            s := nextval('zonectl_change_seq');
            INSERT INTO zonectl_changes (seq, op, type, mesh, name, version, doc, instance) VALUES (s, kind, p_type[i], p_mesh[i], p_name[i], v, d, p_instance);
            PERFORM pg_notify('${CHANNEL}', json_build_object('seq', s, 'op', kind, 'type', p_type[i], 'mesh', p_mesh[i], 'name', p_name[i], 'version', v)::text);
            status := 'ok'; version := v; creation_time := ct; seq := s;
          END IF;
          RETURN NEXT;
        END LOOP;
        IF array_length(c_delta, 1) > 0 THEN
          INSERT INTO zonectl_counts AS c (type, mesh, n)
            SELECT x.t, x.m, sum(x.dn) FROM unnest(c_type, c_mesh, c_delta) AS x(t, m, dn) GROUP BY x.t, x.m
            ON CONFLICT ON CONSTRAINT zonectl_counts_pkey DO UPDATE SET n = c.n + excluded.n;
        END IF;
      END
      $fn$;
    `,
  },
];

export const LATEST = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Brings the database to LATEST. Safe when several instances start at once: the first takes the
 * migration lock and migrates, the others wait for it and then find nothing to do.
 */
export async function migrate(client: pg.ClientBase, where: string): Promise<number> {
  await client.query('SELECT pg_advisory_lock($1, $2)', MIGRATION_LOCK);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS zonectl_schema (version integer NOT NULL)');
    const rows = (await client.query<{ version: number }>('SELECT version FROM zonectl_schema')).rows;
    const current = rows.length ? Math.max(...rows.map((r) => r.version)) : 0;
    if (current > LATEST) {
      throw new UnavailableError(`the PostgreSQL database at ${where} has zonectl schema version ${current}, newer than this zonectl knows (${LATEST}); upgrade zonectl, or point --postgres-url at another database`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('DELETE FROM zonectl_schema');
        await client.query('INSERT INTO zonectl_schema (version) VALUES ($1)', [m.version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
    return LATEST;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, $2)', MIGRATION_LOCK);
  }
}
