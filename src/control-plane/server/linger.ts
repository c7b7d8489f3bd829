/**
 * Lingering close, as HTTP servers do it (nginx's lingering_close, Apache's lingering_close()):
 * when the server answers before it has read the whole request body (a 413 at the body limit, an
 * error while the client still uploads) it must close the connection, but closing a socket with
 * unread bytes in it makes the kernel send a reset, and a client still writing then sees
 * ECONNRESET and loses the answer it had not read yet. So: send the answer, shut down the write
 * side (FIN after the answer), read and discard what the client still sends, and close when it
 * closes its side, or after `timeMs`, or after `maxBytes`, whichever comes first. A client that
 * reads the answer stops sending and closes; one that does not is cut at the bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface LingerLimits {
  /** Longest time the connection is kept after the answer. */
  timeMs: number;
  /** Most bytes read and discarded after the answer. */
  maxBytes: number;
}

/** nginx lingers up to 30 s (lingering_time) with 5 s between reads; an API answer needs less. */
export const LINGER_DEFAULTS: LingerLimits = { timeMs: 5_000, maxBytes: 16 * 1024 * 1024 };

/**
 * Marks `res` as the last answer on its connection (`Connection: close`); when the request body
 * is not read to its end, the connection lingers (see above) instead of closing at once.
 * Call before the response is written.
 */
export function closeAfterResponse(req: IncomingMessage, res: ServerResponse, limits: LingerLimits = LINGER_DEFAULTS): void {
  res.setHeader('connection', 'close');
  if (req.complete) return;
  const sock = req.socket as Socket & { destroySoon?: () => void };
  // node:http closes a `Connection: close` connection with socket.destroySoon() once the answer is
  // flushed (end, then destroy when the FIN is out): this connection lingers in between instead.
  sock.destroySoon = () => linger(sock, limits);
}

function linger(sock: Socket, limits: LingerLimits): void {
  if (sock.destroyed) return;
  let left = limits.maxBytes;
  const discard = (d: Buffer) => {
    left -= d.length;
    if (left < 0) sock.destroy();
  };
  // node:http is done with this connection: take the bytes from its parser (so that the rest of
  // the body is not parsed as a next request), and read them ourselves. Adding a 'data' listener
  // makes node:http stop reading the socket's handle directly; its own 'data' listener goes.
  sock.on('data', discard);
  for (const l of sock.listeners('data')) if (l !== discard) sock.removeListener('data', l as (d: Buffer) => void);
  // The client's FIN: it sent everything (or gave up), nothing can reset the answer any more.
  sock.on('end', () => sock.destroy());
  const timer = setTimeout(() => sock.destroy(), limits.timeMs);
  sock.once('close', () => clearTimeout(timer));
  sock.end();
  sock.resume();
}
