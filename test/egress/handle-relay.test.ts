// The passthrough relay on libuv handles (src/egress/handle-relay.ts, the default data path):
// edge cases of the relay itself, with real sockets. The other egress tests run on it too.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, test } from 'node:test';
import type { EgressSnapshot } from '../../src/resources/egress-config.js';
import { closed, egress, listen, plainEcho, rawConnect, readN, until } from './helpers.js';

const SNI = 'backend{mesh=mesh-1}';
const hello = readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url));
const pass = (port: number, address = '127.0.0.1'): EgressSnapshot => ({
  version: 'v1',
  identities: [],
  routes: [{ kind: 'passthrough', sni: SNI, mesh: 'mesh-1', service: 'backend', endpoints: [{ address, port, weight: 1 }] }],
});
/** `n` bytes of a pattern that a shifted or lost byte breaks. */
const pattern = (n: number, seed: number) => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 12)) & 255;
  return b;
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The fixture hello with a padding extension (RFC 7685) of `n` bytes appended, lengths fixed up. */
function paddedHello(n: number): Buffer {
  const ext = Buffer.alloc(4 + n);
  ext.writeUInt16BE(21, 0);
  ext.writeUInt16BE(n, 2);
  const out = Buffer.concat([hello, ext]);
  out.writeUInt16BE(out.readUInt16BE(3) + ext.length, 3); // TLSPlaintext.length
  out.writeUIntBE(out.readUIntBE(6, 3) + ext.length, 6, 3); // Handshake.length
  // extensions block length: after version(2) random(32) session_id cipher_suites compression
  let p = 9 + 2 + 32;
  p += 1 + out[p];
  p += 2 + out.readUInt16BE(p);
  p += 1 + out[p];
  out.writeUInt16BE(out.readUInt16BE(p) + ext.length, p);
  return out;
}

describe('relay on libuv handles', () => {
  test('the upstream half-closes first: the client still sends, the upstream gets every byte, then both close', async (t) => {
    const body = pattern(3 * 1024 * 1024, 1);
    let received: Promise<Buffer> | undefined;
    const port = await listen(
      t,
      net.createServer({ allowHalfOpen: true }, (s) => {
        const chunks: Buffer[] = [];
        s.on('data', (d: Buffer) => chunks.push(d));
        received = once(s, 'end').then(() => {
          s.destroy();
          return Buffer.concat(chunks);
        });
        s.end('bye');
      }),
    );
    const e = await egress(t, pass(port));
    const c = net.connect({ host: '127.0.0.1', port: e.port, allowHalfOpen: true });
    t.after(() => c.destroy());
    c.write(hello);
    assert.equal(await readN(c, 1e9), 'bye', 'the upstream FIN reached the client after its bytes');
    c.end(body);
    const got = await until(() => received !== undefined, 'the upstream').then(() => received!);
    assert.equal(sha(got), sha(Buffer.concat([hello, body])));
    await until(() => e.stats().routes[SNI]?.outcomes.closed === 1, 'a clean close');
    assert.equal(e.stats().routes[SNI].bytesIn, hello.length + body.length);
  });

  test('32 MiB each way at once arrive byte for byte', async (t) => {
    const down = pattern(32 * 1024 * 1024, 2);
    const up = pattern(32 * 1024 * 1024, 3);
    let upstreamGot: Promise<string> | undefined;
    const port = await listen(
      t,
      net.createServer({ allowHalfOpen: true }, (s) => {
        const h = createHash('sha256');
        s.on('data', (d: Buffer) => h.update(d));
        upstreamGot = once(s, 'end').then(() => h.digest('hex'));
        s.end(down);
      }),
    );
    const e = await egress(t, pass(port));
    const c = net.connect({ host: '127.0.0.1', port: e.port, allowHalfOpen: true });
    t.after(() => c.destroy());
    const h = createHash('sha256');
    let n = 0;
    c.on('data', (d: Buffer) => {
      h.update(d);
      n += d.length;
    });
    c.write(hello);
    c.end(up);
    await once(c, 'end');
    assert.equal(n, down.length);
    assert.equal(h.digest('hex'), sha(down));
    await until(() => upstreamGot !== undefined, 'the upstream');
    assert.equal(await upstreamGot, sha(Buffer.concat([hello, up])));
  });

  test('a client that stops reading stalls the upstream: the egress holds a bounded amount and loses nothing', async (t) => {
    const total = 128 * 1024 * 1024;
    const chunk = pattern(1024 * 1024, 4);
    let accepted = 0;
    const port = await listen(
      t,
      net.createServer((s) => {
        s.on('error', () => {});
        const pump = () => {
          while (accepted < total) {
            accepted += chunk.length;
            if (!s.write(chunk)) return;
          }
          s.end();
        };
        s.on('drain', pump);
        s.once('data', pump);
      }),
    );
    const e = await egress(t, pass(port));
    const c = await rawConnect(t, e.port);
    c.pause();
    const before = process.memoryUsage().arrayBuffers;
    c.write(hello);
    // Stalled: nothing more accepted for 300 ms (kernel buffers on both hops are full).
    let last = -1;
    while (accepted !== last) {
      last = accepted;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(accepted < total, `the upstream pushed all ${total} bytes into a client that does not read`);
    const held = process.memoryUsage().arrayBuffers - before;
    assert.ok(held < 16 * 1024 * 1024, `${(held / 2 ** 20).toFixed(1)} MiB of buffers held while stalled`);
    let n = 0;
    let bad = -1;
    c.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length && bad < 0; i += 4093) if (d[i] !== chunk[(n + i) % chunk.length]) bad = n + i;
      n += d.length;
    });
    c.resume();
    await once(c, 'end');
    assert.equal(bad, -1, `byte ${bad} differs`);
    assert.equal(n, total);
  });

  test('a client reset in the middle of a transfer closes the upstream and counts an error', async (t) => {
    let upstreamClosed: Promise<unknown> | undefined;
    const port = await listen(
      t,
      net.createServer((s) => {
        s.on('error', () => {});
        // (not events.once: it rejects on the reset's 'error')
        upstreamClosed = new Promise((r) => s.once('close', r));
        const big = pattern(1024 * 1024, 5);
        const pump = () => {
          while (!s.destroyed && s.write(big));
        };
        s.on('drain', pump);
        pump();
      }),
    );
    const e = await egress(t, pass(port));
    const c = await rawConnect(t, e.port);
    c.write(hello);
    await once(c, 'data');
    c.resetAndDestroy();
    await until(() => upstreamClosed !== undefined, 'the upstream');
    await upstreamClosed;
    await until(() => e.stats().routes[SNI]?.outcomes.error === 1, 'an error outcome');
  });

  test('an upstream reset while the client sends closes the client and counts an error', async (t) => {
    const port = await listen(
      t,
      net.createServer((s) => {
        let n = 0;
        s.on('data', (d: Buffer) => {
          n += d.length;
          if (n > 1024 * 1024) s.resetAndDestroy();
        });
      }),
    );
    const e = await egress(t, pass(port));
    const c = await rawConnect(t, e.port);
    const res = closed(c);
    c.write(hello);
    const big = pattern(256 * 1024, 6);
    const pump = () => {
      while (!c.destroyed && c.write(big));
    };
    c.on('drain', pump);
    pump();
    await res;
    await until(() => e.stats().routes[SNI]?.outcomes.error === 1, 'an error outcome');
  });

  test('resets and EOFs at every stage before routing leave no connection behind', async (t) => {
    const upstream = await plainEcho(t, 'up');
    const e = await egress(t, pass(upstream));
    const stages: Array<(c: net.Socket) => void> = [
      (c) => c.end(), // a bare probe
      (c) => c.resetAndDestroy(), // reset before any byte
      (c) => {
        c.write(hello.subarray(0, 7));
        setTimeout(() => c.resetAndDestroy(), 20); // reset mid-hello
      },
      (c) => c.end(hello.subarray(0, 7)), // EOF mid-hello: malformed
      (c) => c.end(Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x00, 0x50, 0x00])), // a record bigger than allowed
    ];
    for (const stage of stages) {
      const c = await rawConnect(t, e.port);
      const res = closed(c);
      stage(c);
      await res;
    }
    await until(() => e.stats().accepted === stages.length, 'every accept');
    assert.equal(e.stats().rejected.malformed, 1);
    assert.equal(e.stats().rejected['too-large'], 1);
    // drain() resolves only once every accepted connection is gone.
    await e.drain();
    const late = net.connect({ host: '127.0.0.1', port: e.port });
    const [err] = (await once(late, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
  });

  test('a 6 KiB ClientHello sent in 100-byte pieces (many reads) is routed and reaches the upstream whole', async (t) => {
    const big = paddedHello(6000);
    let got: Promise<Buffer> | undefined;
    const port = await listen(
      t,
      net.createServer((s) => {
        const chunks: Buffer[] = [];
        s.on('data', (d: Buffer) => chunks.push(d));
        got = once(s, 'end').then(() => Buffer.concat(chunks));
        s.end();
      }),
    );
    const e = await egress(t, pass(port));
    const c = await rawConnect(t, e.port);
    for (let i = 0; i < big.length; i += 100) {
      c.write(big.subarray(i, i + 100));
      await new Promise((r) => setImmediate(r));
    }
    await once(c, 'end');
    c.end();
    await until(() => got !== undefined, 'the upstream');
    assert.equal(sha(await got!), sha(big));
  });

  test('an endpoint given by host name is resolved per connection', async (t) => {
    const port = await listen(t, net.createServer((s) => s.once('data', () => s.end('hi'))));
    const e = await egress(t, pass(port, 'localhost'));
    const c = await rawConnect(t, e.port);
    c.write(hello);
    assert.equal(await readN(c, 1e9), 'hi');
  });

  test('rawHandles: false relays and rejects on net.Socket as before', async (t) => {
    const upstream = await plainEcho(t, 'up');
    const e = await egress(t, pass(upstream), { rawHandles: false });
    const c = await rawConnect(t, e.port);
    c.write(hello);
    assert.equal(await readN(c, 3 + hello.length), `up:${hello.toString('latin1')}`);
    const bad = await rawConnect(t, e.port);
    const res = closed(bad);
    bad.write('GET / HTTP/1.1\r\n\r\n');
    assert.equal((await res).bytes, 0);
    await until(() => e.stats().rejected['not-tls'] === 1, 'not-tls');
  });
});
