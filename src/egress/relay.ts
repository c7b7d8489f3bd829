/**
 * Byte relay between a client socket and an upstream socket. Each direction forwards 'data'
 * chunks as they are (no copy), pauses the source when the destination's buffer is full and
 * resumes it on 'drain' (backpressure), and turns the source's FIN into end() on the destination
 * once its writes are flushed (half-close; both sockets are allowHalfOpen). An error on either
 * side destroys both. This is Readable.pipe() without its bookkeeping, which matters at tens of
 * thousands of short connections per second.
 *
 * A clean 'close' of one side must NOT destroy the other: with half-close, the upstream may close
 * while the last bytes to the client are still being flushed.
 */
import type { Duplex } from 'node:stream';

export type RelayEnd = 'closed' | 'error';

function forward(src: Duplex, dst: Duplex): void {
  src.on('data', (chunk: Buffer) => {
    if (!dst.write(chunk)) src.pause();
  });
  dst.on('drain', () => src.resume());
  src.on('end', () => dst.end());
}

export function relay(client: Duplex, upstream: Duplex, done: (end: RelayEnd) => void): void {
  let errored = false;
  let open = 2;
  const kill = () => {
    errored = true;
    client.destroy();
    upstream.destroy();
  };
  const onClose = () => {
    if (--open === 0) done(errored ? 'error' : 'closed');
  };
  client.on('error', kill);
  upstream.on('error', kill);
  for (const s of [client, upstream]) {
    // A socket that already closed (peer vanished between connect and relay) emits no more events.
    if (s.closed) queueMicrotask(onClose);
    else s.once('close', onClose);
  }
  if (client.destroyed || upstream.destroyed) return kill();
  forward(client, upstream);
  forward(upstream, client);
  // The client was paused while the upstream connected; 'data' listeners do not resume a stream
  // that was paused explicitly.
  client.resume();
}
