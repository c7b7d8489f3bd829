/** The egress's public surface: what `zonectl dp run` and the control-plane session use. */
export { startEgress, type ApplyResult, type EgressHandle, type EgressOptions, type EgressStats, type ProxyHandle } from './egress.js';
export type { ReadyState } from './admin.js';
export { parseClientHello, MAX_CLIENT_HELLO_BYTES, type ClientHelloResult } from './client-hello.js';
export { compileSnapshot, redactSnapshot } from './route-table.js';
