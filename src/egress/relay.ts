/**
 * Byte relay between a client socket and an upstream socket: pipe() both ways (backpressure),
 * half-closes propagate (both sockets are allowHalfOpen: a FIN from one side becomes end() on the
 * other once its writes are flushed), an error on either side destroys both.
 *
 * A clean 'close' of one side must NOT destroy the other: with half-close, the upstream may close
 * while the last bytes to the client are still being flushed.
 */
import type { Duplex } from 'node:stream';

export type RelayEnd = 'closed' | 'error';

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
  client.pipe(upstream);
  upstream.pipe(client);
}
