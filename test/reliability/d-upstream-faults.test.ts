/**
 * Part d: upstream faults through a live egress. Zone-2 "ingresses" that refuse connections,
 * drop SYNs (test/helpers/faults.ts, no root), reset mid-stream, or accept and never read. Clients
 * of a service with a healthy endpoint beside the bad one are failed over and served; clients of
 * a service with only a bad one are closed in time; the egress stays up, its memory bounded.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, test } from 'node:test';
import tls from 'node:tls';
import { synDroppingPort } from '../helpers/faults.js';
import { applyIngresses, applyMesh, budget, eventually, mintToken, record, sleep, startCp, startEgress, tempDir, throughEgress, tlsEcho, MESH } from './harness.js';

const PART = 'd. Upstream faults through a live egress';
const CONNECT_TIMEOUT_S = 1;

async function closedPort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Accepts, lets the TLS handshake start, sends a few bytes, then resets the connection. */
async function resetting(t: { after: (fn: () => unknown) => void }): Promise<number> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => {
      s.write(Buffer.from([22, 3, 3, 0, 10, 2, 0, 0, 6]));
      setTimeout(() => s.resetAndDestroy(), 50);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

/** Accepts and never reads (its receive window fills, then the egress must hold back). */
async function neverReading(t: { after: (fn: () => unknown) => void }): Promise<{ port: number; open: () => number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    s.pause();
    s.on('error', () => {});
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    sockets.forEach((s) => s.destroy());
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, open: () => sockets.size };
}

/** A client of a service with no usable endpoint: how long until the egress closes it. */
function closedWithin(port: number, service: string, limitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const s = tls.connect({ host: '127.0.0.1', port, servername: `${service}{mesh=${MESH}}`, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`${service}: the client was still open after ${limitMs} ms`));
    }, limitMs);
    s.on('error', () => {});
    s.on('secureConnect', () => {
      clearTimeout(timer);
      s.destroy();
      reject(new Error(`${service}: a TLS session was established through a faulty endpoint`));
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

/** Open file descriptors of a process. */
function fds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

describe(PART, { concurrency: false }, () => {
  test('refusing, SYN-dropping, resetting and never-reading upstreams: failover, closes in time, the egress stays up', async (t) => {
    const dir = tempDir(t);
    const cp = await startCp(t, { dataDir: `${dir}/cp` });
    await applyMesh(cp);
    const healthy = await tlsEcho(t, 'healthy');
    const refusing = await closedPort();
    const dropping = await synDroppingPort(t);
    const reset = await resetting(t);
    const slow = await neverReading(t);
    await applyIngresses(cp, 'healthy', [healthy.port]);
    await applyIngresses(cp, 'refusing', [refusing]);
    await applyIngresses(cp, 'refusing-or-healthy', [refusing, healthy.port]);
    await applyIngresses(cp, 'dropping', [dropping]);
    await applyIngresses(cp, 'dropping-or-healthy', [dropping, healthy.port]);
    await applyIngresses(cp, 'resetting', [reset]);
    await applyIngresses(cp, 'slow-reader', [slow.port]);
    const egress = await startEgress(t, cp, dir, 'ze-faults', await mintToken(cp), ['--upstream-connect-timeout', `${CONNECT_TIMEOUT_S}s`, '--idle-timeout', '20s']);
    await eventually('route to healthy', () => throughEgress(egress.port, 'healthy', 'hello'));
    const rss0 = rssKiB(egress.proc.child.pid!);
    const t0 = Date.now();
    const n = budget(100, 10);

    // Failover: every client of a service with one healthy endpoint is served.
    const failoverMs: number[] = [];
    for (const service of ['refusing-or-healthy', 'dropping-or-healthy']) {
      await pool(n, 10, async (i) => {
        const s0 = Date.now();
        assert.equal(await throughEgress(egress.port, service, `c${i}`, 15_000), `healthy: c${i}`);
        failoverMs.push(Date.now() - s0);
      });
    }
    // Only bad endpoints: closed, promptly for a refusal, at the connect timeout for a SYN drop.
    const refusedMs = await pool(n, 10, () => closedWithin(egress.port, 'refusing', 10_000));
    const droppedMs = await pool(n, 10, () => closedWithin(egress.port, 'dropping', (CONNECT_TIMEOUT_S + 10) * 1000));
    const resetMs = await pool(n, 10, () => closedWithin(egress.port, 'resetting', 10_000));

    // Slow reader: a client pushes 64 MiB at an upstream that never reads. The egress must hold
    // back (bounded buffering), not take it all into memory.
    // Passthrough: the egress routes on the ClientHello, then relays bytes; the "upstream" never
    // reads them (nor answers the hello), so what the egress takes is bounded by its buffers.
    await sleep(1_000); // the clients above finish closing
    const fds0 = fds(egress.proc.child.pid!);
    const raw = net.connect({ host: '127.0.0.1', port: egress.port });
    raw.on('error', () => {});
    await once(raw, 'connect');
    raw.write(await captureHello(`slow-reader{mesh=${MESH}}`));
    await eventually('the slow reader got the connection', async () => slow.open() > 0, 10_000);
    const chunk = Buffer.alloc(64 * 1024, 7);
    const pushUntil = Date.now() + 10_000;
    let stalled = false;
    while (Date.now() < pushUntil && raw.bytesWritten < 64 * 1024 * 1024) {
      if (!raw.write(chunk)) {
        await Promise.race([once(raw, 'drain'), sleep(2_000)]);
        if (raw.writableNeedDrain) {
          stalled = true;
          break;
        }
      }
    }
    const taken = raw.bytesWritten;
    const rss1 = rssKiB(egress.proc.child.pid!);
    assert.ok(fds(egress.proc.child.pid!) >= fds0 + 2, 'the egress holds the client and its upstream');
    assert.ok(stalled, `the client could push ${taken} bytes at an upstream that never reads`);
    assert.ok(taken < 32 * 1024 * 1024, `the egress took ${taken} bytes for an upstream that never reads`);
    assert.ok(rss1 - rss0 < 200 * 1024, `egress RSS grew ${rss1 - rss0} KiB`);
    raw.destroy();
    // The egress lets go of both sockets (its idle timeout, 20 s here: the stalled client's FIN
    // never reaches it while its receive window is full). The never-reading server cannot tell.
    const released = Date.now();
    await eventually('the egress released the stalled connection', async () => fds(egress.proc.child.pid!) <= fds0, 40_000);
    const releasedMs = Date.now() - released;

    assert.ok(egress.proc.running());
    assert.equal((await fetch(`http://127.0.0.1:${egress.adminPort}/ready`)).status, 200);
    assert.equal(await throughEgress(egress.port, 'healthy', 'still here'), 'healthy: still here');
    const max = (xs: number[]) => Math.max(...xs);
    record(PART, 'upstream connect timeout of the egress (s)', CONNECT_TIMEOUT_S);
    record(PART, 'clients failed over (refusing or SYN-dropping endpoint beside a healthy one), served', `${failoverMs.length} of ${2 * n}, slowest ${max(failoverMs)} ms`);
    record(PART, 'clients of a refusing endpoint, closed', `${refusedMs.length}, slowest ${max(refusedMs)} ms`);
    record(PART, 'clients of a SYN-dropping endpoint, closed', `${droppedMs.length}, slowest ${max(droppedMs)} ms`);
    record(PART, 'clients of a resetting endpoint, closed', `${resetMs.length}, slowest ${max(resetMs)} ms`);
    record(PART, 'slow reader: bytes taken (all socket buffers on the way) before the client was held back', taken);
    record(PART, 'slow reader: stalled connection released by the egress after (s)', Math.round(releasedMs / 1000));
    record(PART, 'egress RSS growth over the part (KiB)', rss1 - rss0);
    record(PART, 'egress crashes', 0);
    record(PART, 'duration (s)', Math.round((Date.now() - t0) / 1000));
  });
});

/** A real ClientHello for `servername` from node:tls (captured on a raw listener). */
async function captureHello(servername: string): Promise<Buffer> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy()))));
  const c = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}
