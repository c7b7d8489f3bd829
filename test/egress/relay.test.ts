import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { UpstreamReader } from '../../src/egress/relay.js';
import { listen } from './helpers.js';

test('UpstreamReader never reuses a buffer a queued write still points into', async (t) => {
  const payload = randomBytes(4 * 1024 * 1024);
  const port = await listen(t, net.createServer((s) => s.end(payload)));
  // A destination that completes writes late and keeps the chunks it was given (no copy), like a
  // socket whose kernel buffer is full: any reuse of a read buffer would show up in the hash.
  const held: Buffer[] = [];
  const dst = new Duplex({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      held.push(chunk);
      setImmediate(cb);
    },
    read() {},
  });
  const reader = new UpstreamReader();
  const src = net.connect({ host: '127.0.0.1', port, onread: reader.onread });
  t.after(() => src.destroy());
  await once(src, 'connect');
  reader.attach(src, dst);
  await once(dst, 'finish');
  const h = createHash('sha256');
  for (const c of held) h.update(c);
  assert.equal(h.digest('hex'), createHash('sha256').update(payload).digest('hex'));
  assert.ok(held.length > 1);
});
