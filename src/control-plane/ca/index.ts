/** The mesh CA: one import for the server, the dp-server and the CLI. */
export * from './data-source.js';
export * from './mesh-ca.js';
export * from './identity.js';
export * from './client-certificate.js';
export * from './secrets-in-use.js';
