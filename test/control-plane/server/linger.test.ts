// Lingering close (server/linger.ts): a client still uploading when the server rejects its body
// reads the answer instead of a connection reset. (The dp-server answers its 413 the same way;
// over its TLS the reset did not lose the answer here, so only the API's plain HTTP is pinned.)
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { request, startTestControlPlane } from '../../helpers/cp.js';

const CLIENTS = 10;

/**
 * A chunked upload of `totalBytes` written as a streaming client writes one (the next 64 KiB once
 * the last left for the kernel), so it is still sending when the server answers at its body
 * limit. Without the lingering close the server's close resets the connection, and the client's
 * next write fails (ECONNRESET/EPIPE) and destroys the socket before the answer is read.
 * Resolves with what the client read, and the error its socket ended with.
 */
function upload(sock: net.Socket, head: string, totalBytes: number): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    let text = '';
    let error: string | undefined;
    sock.setEncoding('latin1').on('data', (d: string) => (text += d));
    sock.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
    sock.on('close', () => resolve({ text, error }));
    const chunk = Buffer.concat([Buffer.from(`${(64 * 1024).toString(16)}\r\n`), Buffer.alloc(64 * 1024, 0x20), Buffer.from('\r\n')]);
    let sent = 0;
    const next = () => {
      if (!sock.writable) return;
      if (sent >= totalBytes) return void sock.end('0\r\n\r\n');
      sent += chunk.length;
      sock.write(chunk, () => setImmediate(next));
    };
    sock.once('connect', () => {
      sock.write(`${head}Transfer-Encoding: chunked\r\n\r\n`);
      next();
    });
  });
}

const lost = (results: { text: string; error?: string }[]) => results.filter((r) => !r.text.startsWith('HTTP/1.1 413 ')).map((r) => `${r.error ?? 'closed'} after ${JSON.stringify(r.text.slice(0, 30))}`);

test('API: clients still uploading past the body limit read their 413, not a reset (lingering close)', async (t) => {
  const cp = await startTestControlPlane(t, { bodyLimit: 64 * 1024 });
  const port = Number(new URL(cp.url).port);
  const head = (i: number) => `PUT /zoneegresses/big-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`;
  const results = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => upload(net.connect({ host: '127.0.0.1', port }), head(i), 4 * 1024 * 1024)));
  assert.deepEqual(lost(results), []);
  for (const r of results) assert.match(r.text, /\r\nconnection: close\r\n[\s\S]*"detail":"request body of \d+ bytes or more exceeds the limit of 65536 bytes"/i);
  assert.equal((await request(`${cp.url}/meshes`)).status, 200);
});

test('API: a client that keeps uploading after its 413 is cut at the linger bound', async (t) => {
  const cp = await startTestControlPlane(t, { bodyLimit: 64 * 1024 });
  const port = Number(new URL(cp.url).port);
  const started = Date.now();
  const r = await upload(net.connect({ host: '127.0.0.1', port }), 'PUT /zoneegresses/endless HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n', Infinity);
  assert.match(r.text, /^HTTP\/1\.1 413 /);
  // 16 MiB or 5 s after the answer, whichever comes first (LINGER_DEFAULTS).
  assert.ok(Date.now() - started < 6_000, `closed after ${Date.now() - started} ms`);
});
