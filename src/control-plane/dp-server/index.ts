/** The dp-server: what `control-plane run` starts on the dp port. */
export { startDpServer, type DpServer, type DpServerOptions } from './server.js';
export { ensureDpServerTls, dpServerCaCertFile, dpServerTlsDir, type DpServerTls } from './tls.js';
export { InsightRecorder, MAX_SUBSCRIPTIONS, type Subscription } from './insights.js';
export { dpServerModule, type DpServerModuleOptions } from './module.js';
export { fetchEgressAdmin, type EgressAdminView, type EgressAdminOutput } from './admin-fetch.js';
