/** Zone tokens on the control plane: the API module, and the service the dp-server verifies with. */
export { tokensModule, type ZoneTokenVerdict } from './module.js';
export { zoneTokenService, type ZoneTokenService, type ZoneTokenOptions } from './service.js';
export { ensureSigningKey } from './bootstrap.js';
export { StoreKeySource } from './key-source.js';
export { zoneTokenRunOptions } from './options.js';
