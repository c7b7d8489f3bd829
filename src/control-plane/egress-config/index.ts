/** Egress config snapshots: the pure generator and its store-backed source. */
export * from './generate.js';
export * from './from-store.js';
