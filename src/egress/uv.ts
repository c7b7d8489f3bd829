/**
 * libuv's TCP handles as Node's own net.Socket uses them (lib/net.js, stream_base_commons.js),
 * for the passthrough relay of handle-relay.ts.
 *
 * Why: a net.Socket carries a Duplex stream, an EventEmitter and their state; at thousands of new
 * connections per second that machinery is most of the proxy's CPU per connection (issue 17: a
 * 20-line pipe() relay cost 2.5x nginx per connection, the same relay on these handles 1.6x).
 * The handles are reached through `process.binding`, a documented-deprecated API (DEP0111) that
 * Node 20 still serves for exactly these modules without a warning. It is used here and nowhere
 * else: loadUv() checks the shape it relies on once, at start, and answers why not when it differs,
 * so that the egress falls back to net.Socket (with a warning) instead of failing at a connection.
 */

/** Result of StreamBase calls: 0, or a negative libuv error code. */
type Status = number;

/** What onread receives: with a user buffer (useUserBuffer) the bytes are in it, else in `buf`. */
export type OnRead = (this: TcpHandle, buf: ArrayBuffer | undefined) => Uint8Array | undefined;

/** A libuv TCP handle (`uv_tcp_t` behind Node's TCPWrap), as far as the relay uses it. */
export interface TcpHandle {
  /** Called for each read: bytes (> 0), 0 (nothing), UV_EOF or an error, in `streamBaseState`. */
  onread: OnRead;
  /** Set by the server handle for each accepted connection. */
  onconnection?: (err: Status, handle: TcpHandle | undefined) => void;
  readStart(): Status;
  readStop(): Status;
  /** Reads go into `buf` from now on (no allocation per read); onread may return the next buffer. */
  useUserBuffer(buf: Uint8Array): void;
  /** Writes what the kernel takes now; the rest is queued and `req.oncomplete` runs when done. */
  writeBuffer(req: WriteReq, buf: Uint8Array): Status;
  /** shutdown(SHUT_WR) after the queued writes; 1 = done synchronously. */
  shutdown(req: ShutdownReq): Status;
  connect(req: ConnectReq, address: string, port: number): Status;
  connect6(req: ConnectReq, address: string, port: number): Status;
  getpeername(out: Record<string, unknown>): Status;
  setNoDelay(on: boolean): Status;
  setKeepAlive(on: boolean, delaySeconds: number): Status;
  close(cb?: () => void): void;
  /** Bytes queued for writing. */
  readonly writeQueueSize: number;
}

// Requests call oncomplete with `this` = the request (which callers extend with their own fields).
export interface WriteReq {
  oncomplete(status: Status): void;
  /** Keeps the written buffer alive until the write completes. */
  buffer: Uint8Array | undefined;
}
/** Node calls oncomplete only when the request has one. */
export interface ShutdownReq {
  oncomplete?(status: Status): void;
}
export interface ConnectReq {
  oncomplete(status: Status): void;
}

export interface Uv {
  newSocket(): TcpHandle;
  newWriteReq(): WriteReq;
  newShutdownReq(): ShutdownReq;
  newConnectReq(): ConnectReq;
  /** Shared with C++: the last read's byte count or error, whether the last write was queued. */
  readonly state: Int32Array;
  readonly kReadBytesOrError: number;
  readonly kLastWriteWasAsync: number;
  readonly UV_EOF: number;
  /** `ECONNRESET` for -104 (libuv's error names, for logs). */
  errname(status: Status): string;
}

type Binding = Record<string, unknown>;
const HANDLE_METHODS = ['readStart', 'readStop', 'useUserBuffer', 'writeBuffer', 'shutdown', 'connect', 'connect6', 'getpeername', 'setNoDelay', 'setKeepAlive', 'close'];

type Bind = (name: string) => Binding;

/**
 * The bindings, or why they cannot be used (then the egress relays with net.Socket). `bind` is
 * process.binding; tests pass others.
 */
export function loadUv(bind: Bind | null = (process as unknown as { binding?: Bind }).binding?.bind(process) ?? null): Uv | string {
  try {
    if (typeof bind !== 'function') return 'process.binding is not available';
    const tcp = bind('tcp_wrap');
    const stream = bind('stream_wrap');
    const uv = bind('uv');
    const TCP = tcp.TCP as (new (type: number) => TcpHandle) | undefined;
    const TCPConnectWrap = tcp.TCPConnectWrap as (new () => ConnectReq) | undefined;
    const WriteWrap = stream.WriteWrap as (new () => WriteReq) | undefined;
    const ShutdownWrap = stream.ShutdownWrap as (new () => ShutdownReq) | undefined;
    const SOCKET = (tcp.constants as Record<string, unknown> | undefined)?.SOCKET;
    const state = stream.streamBaseState;
    const [kRead, kAsync, eof] = [stream.kReadBytesOrError, stream.kLastWriteWasAsync, uv.UV_EOF];
    if (typeof TCP !== 'function' || typeof TCPConnectWrap !== 'function' || typeof WriteWrap !== 'function' || typeof ShutdownWrap !== 'function') return 'tcp_wrap/stream_wrap lack TCP, TCPConnectWrap, WriteWrap or ShutdownWrap';
    if (typeof SOCKET !== 'number' || !(state instanceof Int32Array) || typeof kRead !== 'number' || typeof kAsync !== 'number' || typeof eof !== 'number' || eof >= 0) return 'stream_wrap/uv constants are not what the relay expects';
    if (typeof uv.errname !== 'function') return 'uv.errname is missing';
    const probe = new TCP(SOCKET);
    const missing = HANDLE_METHODS.filter((m) => typeof (probe as unknown as Binding)[m] !== 'function');
    probe.close();
    if (missing.length) return `TCP handles lack ${missing.join(', ')}`;
    const errname = uv.errname as (s: number) => string;
    return {
      newSocket: () => new TCP(SOCKET),
      newWriteReq: () => new WriteWrap(),
      newShutdownReq: () => new ShutdownWrap(),
      newConnectReq: () => new TCPConnectWrap(),
      state,
      kReadBytesOrError: kRead,
      kLastWriteWasAsync: kAsync,
      UV_EOF: eof,
      errname: (s) => {
        try {
          return errname(s);
        } catch {
          return String(s);
        }
      },
    };
  } catch (err) {
    return `process.binding failed: ${(err as Error).message}`;
  }
}
