/**
 * Part b: slow and idle clients against the API, the dp-server and the egress, all at once:
 * slowloris headers and bodies, clients that never read their answers, idle sockets, ClientHellos
 * sent a byte at a time. Each is closed at its timeout, the `--max-connections` caps hold, and good
 * clients keep being served the whole time (failed: 0).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { describe, test } from 'node:test';
import tls from 'node:tls';
import { request } from '../helpers/cp.js';
import { applyIngresses, applyMesh, budget, eventually, mintToken, record, sleep, startCp, startEgress, tempDir, throughEgress, tlsEcho, MESH, type Cp } from './harness.js';

const PART = 'b. Slow and idle clients (API, dp-server, egress)';
const CAP = 300;

interface Held {
  /** ms from connect to the server closing it (undefined: we gave up, or we closed it). */
  closedMs?: number;
  status: number;
  /** ms from connect to `feed` starting: the TCP connect, or for TLS the finished handshake. */
  fedMs?: number;
}

/**
 * A connection that behaves badly: `feed` is called once connected and may write forever
 * (it gets a stop flag). Resolves when the server closes it, or after giveUpMs (then destroyed).
 */
function hold(port: number, feed: (s: net.Socket, stopped: () => boolean) => void, giveUpMs: number, connect: (port: number) => net.Socket = (p) => net.connect({ host: '127.0.0.1', port: p }), watchKernel = false): Promise<Held> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = connect(port);
    let text = '';
    let stopped = false;
    let settled = false;
    let fedMs: number | undefined;
    let unwatch = () => {};
    const done = (closedMs?: number) => {
      if (settled) return;
      settled = true;
      stopped = true;
      clearTimeout(timer);
      unwatch();
      s.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ closedMs, status: m ? Number(m[1]) : 0, fedMs });
    };
    const timer = setTimeout(() => done(undefined), giveUpMs);
    // A client that never reads does not see the server's FIN or RST (node reads nothing while
    // paused): ask the kernel how the connection stands instead.
    if (watchKernel) s.once('connect', () => settled || (unwatch = kernel.watch(s.localPort!, port, (at) => done(at - t0))));
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      if (text.length < 4096) text += d.toString('latin1');
    });
    s.on('close', () => done(Date.now() - t0));
    s.once(s instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => {
      fedMs = Date.now() - t0;
      feed(s, () => stopped);
    });
  });
}

/**
 * Watches client connections in the kernel's table (/proc/net/tcp) with ONE asynchronous reader
 * for all of them. The table lists every socket of the network namespace, TIME_WAIT included: on
 * a machine that just ran a test suite that is tens of thousands of lines (megabytes), and each
 * read costs tens to hundreds of ms. This probe used to read it synchronously, once per watched
 * socket whenever the cached copy was over 200 ms old, stamped before the read: once a read took
 * longer than that, every poll re-read it, and this process stalled for seconds (38 s with
 * 37,000 lines). It also runs the clients and the egress's backend, so the relayed TLS clients
 * sent their ClientHello late (1.6 s after the accept, seen) or never got the backend's answer,
 * and the egress closed them, correctly, by its own timeouts: the 5 s ClientHello timeout, with
 * the ClientHello groups (the relayed group "closed at 7.5 s" once in CI), or the idle timeout
 * with the handshake unfinished. Now a connection counts as closed
 * when two reads in a row, both started after node saw it connect, do not list it ESTABLISHED: a
 * read started earlier may predate the connection, and a read is generated in chunks while
 * connections come and go, so one read can skip a line.
 */
class KernelWatch {
  private readonly watched = new Map<string, { since: number; missing: number; firstMissingAt: number; onClosed: (at: number) => void }>();
  private running = false;
  /** Calls onClosed(time the close was first seen) once; returns an unwatch function. */
  watch(local: number, remote: number, onClosed: (at: number) => void): () => void {
    const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
    const key = `0100007F:${hex(local)} 0100007F:${hex(remote)}`;
    this.watched.set(key, { since: Date.now(), missing: 0, firstMissingAt: 0, onClosed });
    if (!this.running) void this.loop();
    return () => this.watched.delete(key);
  }
  private async loop(): Promise<void> {
    this.running = true;
    while (this.watched.size > 0) {
      const started = Date.now();
      const table = established(await readFile('/proc/net/tcp', 'utf8'));
      for (const [key, w] of this.watched) {
        if (started <= w.since) continue;
        if (table.has(key)) {
          w.missing = 0;
          continue;
        }
        if (w.missing++ === 0) w.firstMissingAt = started;
        if (w.missing >= 2) {
          this.watched.delete(key);
          w.onClosed(w.firstMissingAt);
        }
      }
      await sleep(Math.max(50, 250 - (Date.now() - started)));
    }
    this.running = false;
  }
}
const kernel = new KernelWatch();

/** `local remote` (hex, as the table writes them) of the ESTABLISHED lines of /proc/net/tcp. */
function established(table: string): Set<string> {
  const out = new Set<string>();
  // "  sl  local_address rem_address   st ...": the state is the 4th field, 01 = ESTABLISHED.
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/, 4);
    if (f[3] === '01') out.add(`${f[1]} ${f[2]}`);
  }
  return out;
}

const trickle = (first: string, every: number, next: (i: number) => string) => (s: net.Socket, stopped: () => boolean) => {
  s.write(first);
  let i = 0;
  const tick = () => {
    if (stopped() || s.destroyed) return;
    s.write(next(i++));
    setTimeout(tick, every);
  };
  setTimeout(tick, every);
};
const idle = () => {};
/** Pauses reading, then writes until the socket pushes back; never reads again. */
const neverRead = (payload: Buffer | string) => (s: net.Socket) => {
  s.pause();
  const push = () => {
    while (!s.destroyed && s.write(payload));
  };
  push();
};

function summary(list: Held[]): { closed: number; minS: number; maxS: number; statuses: string } {
  const closed = list.filter((h) => h.closedMs !== undefined);
  const ms = closed.map((h) => h.closedMs!);
  const statuses = new Map<number, number>();
  for (const h of list) statuses.set(h.status, (statuses.get(h.status) ?? 0) + 1);
  return { closed: closed.length, minS: Math.round(Math.min(...ms) / 100) / 10, maxS: Math.round(Math.max(...ms) / 100) / 10, statuses: [...statuses].map(([s, n]) => `${s || 'no answer'} x${n}`).join(', ') };
}

/** A good client every 200 ms until stop(); every one must succeed. */
function goodLoop(fn: () => Promise<void>): { stop: () => Promise<{ served: number; failed: string[] }> } {
  let on = true;
  let served = 0;
  const failed: string[] = [];
  const loop = (async () => {
    while (on) {
      try {
        await fn();
        served++;
      } catch (err) {
        failed.push(String(err));
      }
      await sleep(200);
    }
  })();
  return {
    stop: async () => {
      on = false;
      await loop;
      return { served, failed };
    },
  };
}

const api = (cp: Cp) => Number(new URL(cp.url).port);
const dp = (cp: Cp) => Number(new URL(cp.dpUrl).port);

describe(PART, { concurrency: false }, () => {
  test('closed at their timeouts, caps hold, good clients served throughout', async (t) => {
    const dir = tempDir(t);
    const t0 = Date.now();
    // Two control planes: one whose connection cap the test fills, one it keeps below the cap.
    const capped = await startCp(t, { dataDir: `${dir}/capped`, maxConnections: CAP, name: 'control-plane-capped' });
    const cp = await startCp(t, { dataDir: `${dir}/cp` });
    // Pipelined floods on their own control plane, so the timings of the others measure the
    // timeouts rather than this machine's load. node:http parses a whole read (~2,000 requests)
    // and emits them at once; answering them all, unread, once cost seconds of garbage collection
    // with 10 such clients (good clients waited 11 s, timers fired that late). Now a connection
    // with more than MAX_PIPELINED (128) requests in flight is closed at once (server/limits.ts).
    const flooded = await startCp(t, { dataDir: `${dir}/flooded`, name: 'control-plane-flooded' });
    await applyMesh(cp);
    const backend = await tlsEcho(t, 'backend');
    await applyIngresses(cp, 'backend', [backend.port]);
    const egress = await startEgress(t, cp, dir, 'ze-slow', await mintToken(cp), ['--idle-timeout', '30s']);
    await eventually('route to backend', () => throughEgress(egress.port, 'backend', 'hello'));
    const n = (full: number) => budget(full, 5);

    const goodApi = goodLoop(async () => {
      const r = await request(`${cp.url}/meshes`);
      assert.equal(r.status, 200);
    });
    const goodEgress = goodLoop(async () => {
      assert.equal(await throughEgress(egress.port, 'backend', 'good'), 'backend: good');
    });

    // Caps: CAP + 100 idle connections to each capped listener; the excess is closed at once.
    const over = async (port: number) => Promise.all(Array.from({ length: CAP + 100 }, () => hold(port, idle, 90_000)));
    const cappedApi = over(api(capped));
    const cappedDp = over(dp(capped));

    const huge = `GET /meshes HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(5_000);
    const groups = {
      'API: slowloris headers (a header line a second)': Array.from({ length: n(100) }, () => hold(api(cp), trickle('GET /meshes HTTP/1.1\r\nHost: x\r\n', 1_000, (i) => `X-${i}: y\r\n`), 90_000)),
      'API: slow body (a byte a second)': Array.from({ length: n(50) }, () => hold(api(cp), trickle('PUT /meshes/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{', 1_000, () => ' '), 90_000)),
      'API: idle sockets (never a byte)': Array.from({ length: n(100) }, () => hold(api(cp), idle, 90_000)),
      'API: bad request, answer never read, never closed': Array.from({ length: n(50) }, () => hold(api(cp), (s) => (s.pause(), s.write('GET /meshes HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')), 90_000, undefined, true)),
      'API: 5,000 pipelined requests, answers never read': Array.from({ length: n(10) }, () => hold(api(flooded), neverRead(huge), 90_000, undefined, true)),
      'dp-server: idle TCP (no TLS handshake)': Array.from({ length: n(50) }, () => hold(dp(cp), idle, 90_000)),
      'dp-server: TLS handshake a byte a second': Array.from({ length: n(20) }, () => hold(dp(cp), trickle('\x16', 1_000, () => '\x03'), 90_000)),
      'egress: idle sockets (no ClientHello)': Array.from({ length: n(100) }, () => hold(egress.port, idle, 90_000)),
      'egress: ClientHello a byte every 500 ms': Array.from({ length: n(50) }, () => hold(egress.port, trickle('\x16', 500, () => '\x03'), 90_000)),
      'egress: relayed, never reads, pushes until held back': Array.from({ length: n(20) }, () =>
        hold(egress.port, neverRead(Buffer.alloc(64 * 1024, 1)), 90_000, (p) => tls.connect({ host: '127.0.0.1', port: p, servername: `backend{mesh=${MESH}}`, rejectUnauthorized: false }), true),
      ),
    };
    // When each kind must be closed by (s): header 10 s, request 30 s, idle 60 s, error answer
    // +2 s, dp-server TLS handshake 10 s, egress ClientHello 5 s, egress idle 30 s (set above);
    // each plus the servers' check interval and this machine's load (at load average 15 on 2
    // cores every timer here and in the servers fires seconds late): nothing closes before its
    // timeout, everything is closed within 90 s.
    const limits: Record<keyof typeof groups, [number, number]> = {
      'API: slowloris headers (a header line a second)': [9, 45],
      'API: slow body (a byte a second)': [29, 70],
      'API: idle sockets (never a byte)': [9, 80],
      'API: bad request, answer never read, never closed': [0, 20],
      'API: 5,000 pipelined requests, answers never read': [0, 10],
      'dp-server: idle TCP (no TLS handshake)': [9, 80],
      'dp-server: TLS handshake a byte a second': [9, 45],
      'egress: idle sockets (no ClientHello)': [4, 30],
      'egress: ClientHello a byte every 500 ms': [4, 30],
      // The 30 s idle timeout, noticed at the egress's next idle sweep (every 3 s: the sweep that
      // first sees the last byte restarts the count), plus load. (A wider [4, 88] hid a stall of
      // this test's own /proc/net/tcp probe: see KernelWatch.)
      'egress: relayed, never reads, pushes until held back': [29, 45],
    };
    const results: [string, Held[]][] = [];
    for (const [name, list] of Object.entries(groups)) results.push([name, await Promise.all(list)]);
    const [capApi, capDp] = await Promise.all([cappedApi, cappedDp]);
    const api1 = await goodApi.stop();
    const eg1 = await goodEgress.stop();

    for (const [name, list] of results) {
      // Every one got as far as it should (connected; TLS handshake done through the egress), so
      // its close time measures the timeout the group is about.
      const unfed = list.filter((h) => h.fedMs === undefined).length;
      assert.equal(unfed, 0, `${name}: ${unfed} of ${list.length} closed before connecting${name.includes('relayed') ? ' and finishing the TLS handshake (a ClientHello later than the egress ClientHello timeout?)' : ''}`);
      const s = summary(list);
      assert.equal(s.closed, list.length, `${name}: ${list.length - s.closed} still open after 90 s`);
      const [min, max] = limits[name as keyof typeof groups];
      assert.ok(s.minS >= min && s.maxS <= max, `${name}: closed after ${s.minS}-${s.maxS} s, expected within ${min}-${max} s`);
      record(PART, `${name}: ${list.length} closed after (s)`, `${s.minS}-${s.maxS} (${s.statuses})`);
    }
    for (const [name, list] of [['API', capApi], ['dp-server', capDp]] as const) {
      // Refused: closed well before the 10 s handshake/header timeout that closes the ones let in
      // (the kernel queues connects while the loaded server is busy, so "at once" can take seconds).
      const early = list.filter((h) => h.closedMs !== undefined && h.closedMs < 8_000).length;
      assert.ok(early >= 100 && early <= 110, `${name} --max-connections ${CAP}: ${early} of ${CAP + 100} closed at once`);
      assert.equal(summary(list).closed, list.length, `${name}: every held connection closed at its timeout`);
      record(PART, `${name} --max-connections ${CAP}: of ${CAP + 100} idle connections, refused at once / closed at their timeout`, `${early} / ${list.length - early} (after ${summary(list.filter((h) => h.closedMs! >= 8_000)).maxS} s)`);
    }
    // The capped control plane serves again once its idle connections are gone.
    assert.equal((await request(`${capped.url}/meshes`)).status, 200);
    assert.deepEqual(api1.failed.slice(0, 3), [], `good API clients failed: ${api1.failed.length}`);
    assert.deepEqual(eg1.failed.slice(0, 3), [], `good egress clients failed: ${eg1.failed.length}`);
    assert.ok(cp.proc.running() && capped.proc.running() && flooded.proc.running() && egress.proc.running());
    assert.equal((await request(`${flooded.url}/meshes`)).status, 200);
    const bad = results.reduce((k, [, l]) => k + l.length, 0) + capApi.length + capDp.length;
    record(PART, 'bad connections in all', bad);
    record(PART, 'good API clients served during the attack (failed: 0)', api1.served);
    record(PART, 'good egress clients served during the attack (failed: 0)', eg1.served);
    record(PART, 'duration (s)', Math.round((Date.now() - t0) / 1000));
  });
});
