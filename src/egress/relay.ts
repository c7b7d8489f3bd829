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
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';

export type RelayEnd = 'closed' | 'error';

/** First read buffer: small (a slice of node's shared 8 KiB pool), so 10,000 idle connections stay cheap. */
const READ_BUFFER_MIN = 2 * 1024;
/** A read that fills the buffer means bulk traffic: grow to this (fewer syscalls and wakeups). */
const READ_BUFFER_MAX = 256 * 1024;

/**
 * Reads an upstream socket into one reused buffer (net.connect's `onread`) instead of a fresh
 * 64 KiB allocation per read: at GiB/s that churn is most of the proxy's GC time. A buffer is
 * reused only when the previous write finished synchronously (the kernel took every byte);
 * otherwise the queued write still points into it and the next read gets a new one. The buffer
 * starts small and grows once a read fills it; 256 KiB reads measured ~25% less CPU per GiB
 * than 64 KiB ones (bench/egress.mjs).
 */
export class UpstreamReader {
  // Per connection: node hands each socket's next read buffer to libuv right after the previous
  // callback, so a buffer shared between sockets could be overwritten under a queued write.
  private buf = Buffer.allocUnsafe(READ_BUFFER_MIN);
  private dst: Duplex | undefined;
  private src: net.Socket | undefined;
  private early: Buffer[] = [];
  private dstIsTls = false;
  readonly onread = {
    buffer: (): Buffer => this.buf,
    callback: (n: number, b: Uint8Array): boolean => this.onRead(n, b),
  };

  attach(src: net.Socket, dst: Duplex): void {
    this.src = src;
    this.dst = dst;
    this.dstIsTls = dst instanceof TLSSocket;
    for (const b of this.early) dst.write(b);
    this.early = [];
    dst.on('drain', () => src.resume());
    if (src.readableEnded) dst.end();
    else src.on('end', () => dst.end());
  }

  private onRead(n: number, b: Uint8Array): boolean {
    const dst = this.dst;
    if (!dst) {
      // Reading starts on connect and relay() attaches in the same tick, so this is not expected;
      // if it ever happens the bytes are kept (copied) and written first, never dropped.
      this.early.push(Buffer.from(b.subarray(0, n)));
      return true;
    }
    // node:tls encrypts (or copies, when it cannot write yet) what reaches its handle, so a TLS
    // destination holds no reference once a write went straight through; a plain socket holds one
    // until the kernel took every byte.
    const straightThrough = this.dstIsTls && dst.writableLength === 0;
    const ok = dst.write(Buffer.from(b.buffer, b.byteOffset, n));
    const referenced = this.dstIsTls ? !straightThrough : dst.writableLength > 0;
    // A queued write still points into this buffer: read the next bytes elsewhere.
    if (n === this.buf.length && n < READ_BUFFER_MAX) this.buf = Buffer.allocUnsafe(READ_BUFFER_MAX);
    else if (referenced) this.buf = Buffer.allocUnsafe(this.buf.length);
    if (!ok) this.src?.pause();
    return ok;
  }
}

function forward(src: Duplex, dst: Duplex): void {
  src.on('data', (chunk: Buffer) => {
    if (!dst.write(chunk)) src.pause();
  });
  dst.on('drain', () => src.resume());
  // The client's FIN may have been seen while the upstream was connecting ('end' fires even on a
  // paused stream once its buffer is empty): it must still reach the upstream.
  if (src.readableEnded) dst.end();
  else src.on('end', () => dst.end());
}

/** Relays both ways; `reader` is the upstream's UpstreamReader when it was connected with one. */
export function relay(client: Duplex, upstream: Duplex, done: (end: RelayEnd) => void, reader?: UpstreamReader): void {
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
  if (reader) reader.attach(upstream as net.Socket, client);
  else forward(upstream, client);
  // The client was paused while the upstream connected; 'data' listeners do not resume a stream
  // that was paused explicitly.
  client.resume();
}
