// src/egress/uv.ts: the shape of Node's TCP bindings is checked once, at start; anything else
// gives a reason (the egress then warns and relays on net.Socket) instead of a failure later.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUv } from '../../src/egress/uv.js';

type Binding = Record<string, unknown>;
const real = (name: string) => (process as unknown as { binding(n: string): Binding }).binding(name);

test("this Node's bindings have the shape the relay uses", () => {
  const uv = loadUv();
  assert.equal(typeof uv, 'object', `not usable: ${String(uv)}`);
  if (typeof uv === 'string') return;
  assert.ok(uv.UV_EOF < 0);
  assert.equal(uv.errname(-104), 'ECONNRESET');
  const h = uv.newSocket();
  assert.equal(typeof h.readStart, 'function');
  h.close();
});

test('a binding that differs is reported with what is missing, never thrown', () => {
  const without = (module: string, key: string) => (name: string) => {
    const b = real(name);
    return name === module ? { ...b, [key]: undefined } : b;
  };
  assert.equal(loadUv(null), 'process.binding is not available');
  assert.match(String(loadUv(without('stream_wrap', 'WriteWrap'))), /lack TCP, TCPConnectWrap, WriteWrap or ShutdownWrap/);
  assert.match(String(loadUv(without('stream_wrap', 'streamBaseState'))), /constants are not what the relay expects/);
  assert.match(String(loadUv(without('uv', 'UV_EOF'))), /constants are not what the relay expects/);
  assert.match(
    String(
      loadUv(() => {
        throw new Error('No such module: tcp_wrap');
      }),
    ),
    /^process\.binding failed: No such module: tcp_wrap$/,
  );
  // A TCP class whose handles lack a method the relay calls.
  const tcp = real('tcp_wrap');
  class Partial {
    close() {}
  }
  const partialTcp = (name: string) => (name === 'tcp_wrap' ? { ...tcp, TCP: Partial } : real(name));
  assert.match(String(loadUv(partialTcp)), /^TCP handles lack readStart, readStop, useUserBuffer, writeBuffer, shutdown, connect, connect6, getpeername, setNoDelay, setKeepAlive$/);
});
