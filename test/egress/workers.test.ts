import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import type { EgressSnapshot } from '../../src/resources/egress-config.js';
import { restartBackoff, startEgressCluster, type EgressCluster } from '../../src/egress/workers/primary.js';
import { parsePrometheus, sample } from '../helpers/prom.js';
import { listen, until } from './helpers.js';

const SNI = 'backend{mesh=mesh-1}';
const hello = readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url));
const pass = (port: number, version: string): EgressSnapshot => ({
  version,
  identities: [],
  routes: [{ kind: 'passthrough', sni: SNI, mesh: 'mesh-1', service: 'backend', endpoints: [{ address: '127.0.0.1', port, weight: 1 }] }],
});

/** An upstream that answers the first bytes with `tag` and closes. */
async function answering(t: TestContext, tag: string): Promise<number> {
  return listen(
    t,
    net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end(tag));
    }),
  );
}

/** An upstream that echoes, for connections kept open. */
async function echo(t: TestContext): Promise<number> {
  return listen(
    t,
    net.createServer((s) => {
      s.on('error', () => {});
      s.pipe(s);
    }),
  );
}

/** One connection through the egress: the hello, then what the upstream answers until it closes. */
function through(port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    let got = '';
    c.on('error', () => {});
    c.setEncoding('utf8').on('data', (d: string) => (got += d));
    c.on('close', () => resolve(got));
    c.write(hello);
  });
}

/** Through an echoing upstream: true once the hello came back. */
function echoed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    c.on('error', () => {});
    c.once('data', () => {
      resolve(true);
      c.destroy();
    });
    c.on('close', () => resolve(false));
    c.write(hello);
  });
}

/** `n` connections, `concurrency` at a time; resolves with what each got. */
async function many<T>(n: number, concurrency: number, one: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        out.push(await one());
      }
    }),
  );
  return out;
}

async function cluster(t: TestContext, snapshot: EgressSnapshot | undefined, workers = 2): Promise<EgressCluster> {
  const c = await startEgressCluster({ workers, address: '127.0.0.1', port: 0, adminAddress: '127.0.0.1', adminPort: 0, drainTimeMs: 2000, clientHelloTimeoutMs: 2000, snapshot, logLevel: 'warn' });
  t.after(() => c.close());
  return c;
}

async function admin(c: EgressCluster, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${c.adminPort}${path}`);
  return { status: res.status, body: await res.text() };
}

const statsOf = (text: string) => Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.lastIndexOf(': ')), l.slice(l.lastIndexOf(': ') + 2)]));

describe('dp run --workers N (one primary, N worker processes on one listener)', () => {
  test('1,000 connections spread over both workers; /stats and /stats/prometheus sum them', async (t) => {
    const up = await answering(t, 'x');
    const c = await cluster(t, pass(up, 'v1'));
    assert.equal((await admin(c, '/ready')).status, 200);
    const answers = await many(1000, 25, () => through(c.port));
    assert.deepEqual(answers.filter((a) => a !== 'x'), [], 'every connection reached the upstream');
    // Counters are updated when each relay closes: poll until all 1,000 closed.
    let s: Record<string, string> = {};
    const deadline = Date.now() + 10_000;
    while (s[`route.${SNI}.outcome.closed`] !== '1000') {
      assert.ok(Date.now() < deadline, `all 1,000 connections closed: ${JSON.stringify(s)}`);
      s = statsOf((await admin(c, '/stats')).body);
    }
    const perWorker = [Number(s['worker.1.downstream_cx_total']), Number(s['worker.2.downstream_cx_total'])];
    assert.ok(perWorker[0] > 0 && perWorker[1] > 0, `both workers accepted connections: ${perWorker}`);
    assert.equal(perWorker[0] + perWorker[1], 1000);
    assert.equal(s.downstream_cx_total, '1000');
    assert.equal(s[`route.${SNI}.cx_total`], '1000');
    assert.equal(s[`route.${SNI}.cx_active`], '0');
    assert.equal(s.state, 'READY');
    assert.equal(s.config_version, 'v1');
    assert.equal(s.workers, '2');
    const prom = (await admin(c, '/stats/prometheus')).body;
    assert.match(prom, /^zonectl_egress_downstream_connections_total 1000$/m);
    // Every worker's series summed, histograms bucket by bucket (the parser checks they stay cumulative and end at _count).
    const fams = parsePrometheus(prom);
    const route = { route: SNI, kind: 'passthrough', mesh: 'mesh-1' };
    assert.equal(sample(fams, 'zonectl_egress_connections_total', { ...route, outcome: 'closed' }), 1000);
    assert.equal(sample(fams, 'zonectl_egress_connection_duration_seconds_count', route), 1000);
    assert.equal(sample(fams, 'zonectl_egress_connection_duration_seconds_bucket', { ...route, le: '+Inf' }), 1000);
    assert.equal(sample(fams, 'zonectl_egress_upstream_connect_seconds_count', { route: SNI }), 1000);
    assert.equal(sample(fams, 'zonectl_egress_bytes_total', { ...route, direction: 'out' }), 1000);
    assert.ok(sample(fams, 'process_cpu_user_seconds_total') > 0);
    assert.match(prom, new RegExp(`^zonectl_egress_worker_downstream_connections_total\\{worker="1"\\} ${perWorker[0]}$`, 'm'));
    assert.match(prom, new RegExp(`^zonectl_egress_worker_downstream_connections_total\\{worker="2"\\} ${perWorker[1]}$`, 'm'));
    const clusters = JSON.parse((await admin(c, '/clusters?format=json')).body) as { clusters: Array<{ endpoints: Array<{ total: number }> }> };
    assert.equal(clusters.clusters[0].endpoints[0].total, 1000);
  });

  test('a snapshot is applied only once every worker runs it (a stopped worker holds it back)', async (t) => {
    const a = await answering(t, 'a');
    const b = await answering(t, 'b');
    const c = await cluster(t, pass(a, 'v1'));
    const [w1, w2] = c.workers();
    process.kill(w2.pid!, 'SIGSTOP');
    // (A failed assertion must not leave it stopped: close() would wait for it.)
    t.after(() => {
      if (c.workers()[1].pid === w2.pid) process.kill(w2.pid!, 'SIGCONT');
    });
    let applied = false;
    const res = c.applySnapshot(pass(b, 'v2')).then((r) => ((applied = true), r));
    await until(() => c.workers()[0].version === 'v2', 'worker 1 to apply v2');
    // Worker 1 answered; the stopped worker has not: no verdict yet, and /ready says who lags.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(applied, false, 'applySnapshot waited for the stopped worker');
    assert.equal(c.workers()[1].version, 'v1');
    const ready = await admin(c, '/ready');
    assert.deepEqual([ready.status, ready.body], [503, 'INITIALIZING (waiting for worker 2 to run config v2)\n']);
    process.kill(w2.pid!, 'SIGCONT');
    assert.deepEqual(await res, { ok: true, version: 'v2' });
    assert.deepEqual(
      c.workers().map((w) => [w.worker, w.version]),
      [
        [1, 'v2'],
        [2, 'v2'],
      ],
    );
    assert.equal((await admin(c, '/ready')).status, 200);
    assert.deepEqual([...new Set(await many(40, 8, () => through(c.port)))], ['b']);
    // A snapshot that does not compile is refused by the primary; the workers keep v2.
    const bad = await c.applySnapshot({ ...pass(b, 'v3'), routes: [{ ...pass(b, 'v3').routes[0], endpoints: [] }] as EgressSnapshot['routes'] });
    assert.equal(bad.ok, false);
    assert.equal(c.workers()[0].version, 'v2');
    assert.notEqual(w1.pid, undefined);
  });

  test('a killed worker is replaced with the current snapshot; the other keeps its connections and takes the new ones', async (t) => {
    const up = await echo(t);
    const c = await cluster(t, pass(up, 'v1'));
    await c.applySnapshot(pass(up, 'v2'));
    // Long-lived connections, spread by the kernel over both workers.
    const socks: net.Socket[] = [];
    for (let i = 0; i < 40; i++) {
      const s = net.connect({ host: '127.0.0.1', port: c.port });
      s.on('error', () => {});
      t.after(() => s.destroy());
      s.write(hello);
      socks.push(s);
    }
    await Promise.all(socks.map((s) => once(s, 'data')));
    let s = statsOf((await admin(c, '/stats')).body);
    const onWorker2 = Number(s['worker.2.cx_active']);
    assert.equal(Number(s['worker.1.cx_active']) + onWorker2, 40);

    const victim = c.workers()[0];
    const replaced = c.nextListening(1);
    process.kill(victim.pid!, 'SIGKILL');
    // While worker 1 is gone, every new connection is served (by worker 2).
    const answers = await many(100, 10, () => echoed(c.port));
    assert.deepEqual([...new Set(answers)], [true]);
    // Connections on worker 2 still relay; those on worker 1 were reset with it.
    const alive = await Promise.all(
      socks.map(
        (sock) =>
          new Promise<boolean>((resolve) => {
            if (sock.destroyed || sock.readableEnded) return resolve(false);
            sock.once('data', (d: Buffer) => resolve(d.toString() === 'ping'));
            sock.once('close', () => resolve(false));
            sock.write('ping');
          }),
      ),
    );
    assert.equal(alive.filter(Boolean).length, onWorker2, 'every connection of the surviving worker still relays');

    const back = await replaced;
    assert.notEqual(back.pid, victim.pid);
    assert.equal(back.version, 'v2', 'the replacement started with the current snapshot');
    assert.equal(c.restarts(), 1);
    await until(() => c.workers().every((w) => w.state === 'running'), 'both workers running');
    s = statsOf((await admin(c, '/stats')).body);
    assert.equal(s.worker_restarts, '1');
    assert.equal((await admin(c, '/ready')).status, 200);
    const dump = JSON.parse((await admin(c, '/config_dump')).body) as { workers: Array<{ worker: number; restarts: number; version: string }> };
    assert.deepEqual(
      dump.workers.map((w) => [w.worker, w.restarts, w.version]),
      [
        [1, 1, 'v2'],
        [2, 0, 'v2'],
      ],
    );
  });
});

test('a crash-looping worker is restarted with growing backoff, capped at 5 s; a stable run resets it', () => {
  // A worker that ran a while and died is replaced at once.
  assert.deepEqual(restartBackoff(0, 60_000), { crashes: 0, delayMs: 0 });
  // One that keeps dying within a second of its start waits longer each time.
  let crashes = 0;
  const delays: number[] = [];
  for (let i = 0; i < 9; i++) {
    const b = restartBackoff(crashes, 300);
    crashes = b.crashes;
    delays.push(b.delayMs);
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  // After a stable run the next death is a fresh start again.
  assert.deepEqual(restartBackoff(crashes, 1000), { crashes: 0, delayMs: 0 });
  assert.deepEqual(restartBackoff(0, 999), { crashes: 1, delayMs: 100 });
});
