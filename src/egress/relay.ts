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
  private early: Buffer[] = [];
  private dstIsTls = false;
  readonly onread = {
    buffer: (): Buffer => this.buf,
    callback: (n: number, b: Uint8Array): boolean => this.onRead(n, b),
  };

  attach(src: net.Socket, dst: Duplex): void {
    this.dst = dst;
    this.dstIsTls = dst instanceof TLSSocket;
    for (const b of this.early) dst.write(b);
    this.early = [];
    link(src, dst);
    dst.on('drain', onDrain);
    if (src.readableEnded) endOrClose(dst);
    else src.on('end', onEnd);
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
    // Returning false only stops the handle; pause() also marks the stream paused, so that the
    // resume() on 'drain' starts it again.
    if (!ok) peerOf(dst).pause();
    return ok;
  }
}

// The listeners below are shared by every connection (no closures per socket: at tens of
// thousands of connections per second their allocation shows up in GC time); each socket carries
// its peer and its relay's state under these keys.
const kPeer = Symbol('zonectl.relay.peer');
const kState = Symbol('zonectl.relay.state');
interface Linked {
  [kPeer]: Duplex;
  [kState]: RelayState;
}
interface RelayState {
  open: number;
  errored: boolean;
  done: (end: RelayEnd) => void;
}
const peerOf = (s: Duplex): Duplex => (s as unknown as Linked)[kPeer];

function link(a: Duplex, b: Duplex): void {
  (a as unknown as Linked)[kPeer] = b;
  (b as unknown as Linked)[kPeer] = a;
}

function onData(this: Duplex, chunk: Buffer): void {
  if (!peerOf(this).write(chunk)) this.pause();
}
/** A destination drained: its peer is the source that was paused. */
function onDrain(this: Duplex): void {
  peerOf(this).resume();
}
function onEnd(this: Duplex): void {
  endOrClose(peerOf(this));
}
function onError(this: Duplex): void {
  const st = (this as unknown as Linked)[kState];
  st.errored = true;
  this.destroy();
  peerOf(this).destroy();
}
function onClose(this: Duplex): void {
  const st = (this as unknown as Linked)[kState];
  if (--st.open === 0) st.done(st.errored ? 'error' : 'closed');
}

/**
 * Propagates a FIN to `dst`. When `dst` already sent its own FIN (its readable side ended) and
 * the kernel holds all our writes to it, close() sends the same FIN as shutdown() would, after the
 * same bytes, and there is nothing left to read: skip the shutdown request and its round trip
 * through libuv. TLS sockets always end() (close_notify must go out first).
 */
function endOrClose(dst: Duplex): void {
  if (dst.readableEnded && dst.writableLength === 0 && !dst.writableEnded && !(dst instanceof TLSSocket)) dst.destroy();
  else dst.end();
}

function forward(src: Duplex, dst: Duplex): void {
  src.on('data', onData);
  dst.on('drain', onDrain);
  // The client's FIN may have been seen while the upstream was connecting ('end' fires even on a
  // paused stream once its buffer is empty): it must still reach the upstream.
  if (src.readableEnded) endOrClose(dst);
  else src.on('end', onEnd);
}

/** Relays both ways; `reader` is the upstream's UpstreamReader when it was connected with one. */
export function relay(client: Duplex, upstream: Duplex, done: (end: RelayEnd) => void, reader?: UpstreamReader): void {
  const st: RelayState = { open: 2, errored: false, done };
  link(client, upstream);
  for (const s of [client, upstream]) {
    (s as unknown as Linked)[kState] = st;
    s.on('error', onError);
    // A socket that already closed (peer vanished between connect and relay) emits no more events.
    // ('close' fires once: on() spares once()'s wrapper.)
    if (s.closed) queueMicrotask(() => onClose.call(s));
    else s.on('close', onClose);
  }
  if (client.destroyed || upstream.destroyed) {
    st.errored = true;
    client.destroy();
    upstream.destroy();
    return;
  }
  forward(client, upstream);
  if (reader) reader.attach(upstream as net.Socket, client);
  else forward(upstream, client);
  // The client may have been paused while the upstream connected; 'data' listeners do not resume
  // a stream that was paused explicitly.
  client.resume();
}
