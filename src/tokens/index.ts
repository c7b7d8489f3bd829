/**
 * Zone tokens (issue/verify, signing keys, revocation). The only place jose is imported
 * (DESIGN.md); everything else uses this barrel.
 */
export * from './types.js';
export * from './errors.js';
export * from './keys.js';
export * from './decode.js';
export * from './claims.js';
export * from './issue.js';
export * from './verify.js';
export * from './key-source.js';
export * from './revocations.js';
export * from './inspect.js';
export * from './time.js';
export * from './offline.js';
