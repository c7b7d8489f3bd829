// The same relay as naive-relay.mjs (first chunk = the ClientHello, one upstream, both ways, half
// close), written on libuv's TCP handles (process.binding('tcp_wrap'/'stream_wrap'), what
// net.Socket is built on) instead of net.Socket: no stream state, no events, one reused read
// buffer per direction, reading stops while a write is queued (backpressure, bounded memory).
// bench/egress.mjs measures it beside the Node floor: what a relay below net.Socket costs.
// The listener is an ordinary net.Server whose handle's onconnection is taken over.
// Usage: node raw-relay.mjs LISTEN_PORT UPSTREAM_PORT
import net from 'node:net';

const { TCP, TCPConnectWrap, constants: TCPConstants } = process.binding('tcp_wrap');
const { WriteWrap, ShutdownWrap, streamBaseState, kReadBytesOrError, kLastWriteWasAsync } = process.binding('stream_wrap');
const UV_EOF = process.binding('uv').UV_EOF;

const [port, upstreamPort] = process.argv.slice(2).map(Number);
const BUF = 16 * 1024;

class Conn {
  constructor(client) {
    this.client = client;
    this.up = undefined;
    this.hello = undefined;
    this.early = undefined;
    this.connected = false;
    this.closed = false;
    // per direction: EOF read from the source, FIN sent to the destination, a write pending
    this.cEof = false;
    this.uEof = false;
    this.toUpPending = false;
    this.toClientPending = false;
    this.upShut = false;
    this.clientShut = false;
  }
}

function closeAll(c) {
  if (c.closed) return;
  c.closed = true;
  c.client.close();
  if (c.up) c.up.close();
}

function maybeDone(c) {
  if (c.cEof && c.uEof && !c.toUpPending && !c.toClientPending) closeAll(c);
}

function onShutdown(status) {
  if (status < 0) closeAll(this.c);
}

function shut(c, h) {
  // the other side already sent its FIN and has all our bytes: close() sends the same FIN
  if (c.cEof && c.uEof) return maybeDone(c);
  const req = new ShutdownWrap();
  req.c = c;
  req.handle = h;
  req.oncomplete = onShutdown;
  const err = h.shutdown(req);
  if (err !== 0 && err !== 1) closeAll(c);
}

function onWriteDone(status) {
  const c = this.c;
  if (c.closed) return;
  if (status < 0) return closeAll(c);
  if (this.toUp) {
    c.toUpPending = false;
    if (c.cEof) shut(c, c.up);
    else c.client.readStart();
  } else {
    c.toClientPending = false;
    if (c.uEof) shut(c, c.client);
    else c.up.readStart();
  }
}

/** Writes buf to dst; true when the kernel took it all (else reading from the source stops). */
function write(c, dst, buf, toUp) {
  const req = new WriteWrap();
  req.handle = dst;
  req.c = c;
  req.toUp = toUp;
  req.oncomplete = onWriteDone;
  const err = dst.writeBuffer(req, buf);
  if (err !== 0) {
    closeAll(c);
    return false;
  }
  if (streamBaseState[kLastWriteWasAsync]) {
    req.buffer = buf;
    if (toUp) c.toUpPending = true;
    else c.toClientPending = true;
    return false;
  }
  return true;
}

function onClientRead() {
  const c = this.c;
  const n = streamBaseState[kReadBytesOrError];
  if (c.closed) return;
  if (n > 0) {
    // before the upstream is connected the bytes are kept (copied: the read buffer is reused)
    if (!c.up) return connectUp(c, Buffer.from(this.buf.subarray(0, n)));
    if (!c.connected) return void (c.early ??= []).push(Buffer.from(this.buf.subarray(0, n)));
    if (!write(c, c.up, this.buf.subarray(0, n), true) && !c.closed) this.readStop();
    return;
  }
  if (n === 0) return;
  if (n !== UV_EOF || !c.up) return closeAll(c);
  c.cEof = true;
  if (c.connected && !c.toUpPending) shut(c, c.up);
}

function onUpRead() {
  const c = this.c;
  const n = streamBaseState[kReadBytesOrError];
  if (c.closed) return;
  if (n > 0) {
    if (!write(c, c.client, this.buf.subarray(0, n), false) && !c.closed) this.readStop();
    return;
  }
  if (n === 0) return;
  if (n !== UV_EOF) return closeAll(c);
  c.uEof = true;
  if (!c.toClientPending) shut(c, c.client);
}

function afterConnect(status) {
  const c = this.c;
  if (c.closed) return;
  if (status < 0) return closeAll(c);
  c.connected = true;
  const up = c.up;
  up.setNoDelay(true);
  let ok = write(c, up, c.hello, true);
  for (const b of c.early ?? []) if (!c.closed) ok = write(c, up, b, true);
  c.hello = c.early = undefined;
  if (c.closed) return;
  if (!ok) c.client.readStop();
  else if (c.cEof) shut(c, up);
}

function connectUp(c, hello) {
  c.hello = hello;
  const up = new TCP(TCPConstants.SOCKET);
  up.c = c;
  c.up = up;
  const req = new TCPConnectWrap();
  req.c = c;
  req.oncomplete = afterConnect;
  const err = up.connect(req, '127.0.0.1', upstreamPort);
  if (err) return closeAll(c);
  // Reading starts with the connect: libuv then registers the socket with epoll once, for both
  // the connect's POLLOUT and the reads' POLLIN (starting after the connect costs two more calls).
  up.buf = Buffer.allocUnsafe(BUF);
  up.useUserBuffer(up.buf);
  up.onread = onUpRead;
  up.readStart();
}

function onconnection(err, client) {
  if (err) return;
  const c = new Conn(client);
  client.c = c;
  client.setNoDelay(true);
  client.buf = Buffer.allocUnsafe(BUF);
  client.useUserBuffer(client.buf);
  client.onread = onClientRead;
  client.readStart();
}

const server = net.createServer();
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
  server._handle.onconnection = onconnection;
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
