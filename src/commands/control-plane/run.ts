import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { runControlPlane } from '../../control-plane/run.js';
import { LOG_FORMATS, LOG_LEVELS } from '../../core/log.js';

// No oclif defaults: a flag that is absent must let ZONECTL_* and the config file through
// (src/control-plane/config.ts resolves flag > env > config file > default).
export default class ControlPlaneRun extends BaseCommand {
  static override summary = 'Run the control plane: the Kuma-compatible REST API on an embedded store.';
  static override description = `Serves the REST API (Kuma's paths and formats) on --api-port, stores resources in SQLite at <data-dir>/store.db (or in memory, or in PostgreSQL shared by several instances with --store postgres), and creates <data-dir>/admin-token at first start. Requests from localhost are admin; others need "Authorization: Bearer <admin token>". Every flag can also come from a ZONECTL_* variable (e.g. ZONECTL_API_PORT) or a --config file. Prints the URLs it listens on; stops cleanly on SIGINT/SIGTERM.`;
  static override examples = [
    '$ <%= config.bin %> <%= command.id %>',
    '$ <%= config.bin %> <%= command.id %> --store memory --api-port 0',
    '$ <%= config.bin %> <%= command.id %> --api-address 0.0.0.0 --no-localhost-is-admin --api-tls-auto',
    '$ <%= config.bin %> <%= command.id %> --store postgres --postgres-url postgres://zonectl@db.example:5432/zonectl --postgres-password-file /etc/zonectl/pg-password',
    '$ <%= config.bin %> <%= command.id %> --mode global --data-dir ./global',
    '$ <%= config.bin %> <%= command.id %> --mode zone --zone zone-1 --global-address https://global:5685 --global-token-file cp.token --global-ca-cert-file global-kds-ca.crt',
  ];

  static override flags = {
    'api-port': Flags.integer({ summary: 'HTTP API port (default 5681; 0 picks a free port). Env: ZONECTL_API_PORT.', min: 0, max: 65535 }),
    'api-address': Flags.string({ summary: 'Address the API listens on (default 127.0.0.1). Env: ZONECTL_API_ADDRESS.' }),
    'api-tls-port': Flags.integer({ summary: 'HTTPS API port (default 5682), with --api-tls-cert/--api-tls-key or --api-tls-auto. Env: ZONECTL_API_TLS_PORT.', min: 0, max: 65535 }),
    'api-tls-cert': Flags.string({ summary: 'PEM certificate for the HTTPS API. Env: ZONECTL_API_TLS_CERT.' }),
    'api-tls-key': Flags.string({ summary: 'PEM private key for the HTTPS API. Env: ZONECTL_API_TLS_KEY.' }),
    'api-tls-auto': Flags.boolean({ summary: 'Serve HTTPS with a self-signed CA and certificate kept in <data-dir>/api-tls/. Env: ZONECTL_API_TLS_AUTO.', exclusive: ['api-tls-cert'], default: undefined }),
    'dp-port': Flags.integer({ summary: 'Port of the egress dp-server (default 5678). Env: ZONECTL_DP_PORT.', min: 0, max: 65535 }),
    'dp-address': Flags.string({ summary: 'Address the egress dp-server listens on (default 127.0.0.1; 0.0.0.0 for egresses on other hosts). Env: ZONECTL_DP_ADDRESS.' }),
    'dp-server-names': Flags.string({ summary: 'Comma-separated extra DNS names or IPs for the dp-server certificate, e.g. its Kubernetes Service name. Env: ZONECTL_DP_SERVER_NAMES.' }),
    'dp-server-ca-cert': Flags.string({ summary: 'PEM CA certificate to issue the dp-server certificate from (default: one created in <data-dir>/dp-server/). Env: ZONECTL_DP_SERVER_CA_CERT.', dependsOn: ['dp-server-ca-key'] }),
    'dp-server-ca-key': Flags.string({ summary: 'PEM private key of --dp-server-ca-cert. Env: ZONECTL_DP_SERVER_CA_KEY.', dependsOn: ['dp-server-ca-cert'] }),
    zone: Flags.string({ summary: "This control plane's zone (default default). Env: ZONECTL_ZONE." }),
    'data-dir': Flags.string({ summary: 'Directory for the store, admin token and certificates (default ./.zonectl). Env: ZONECTL_DATA_DIR.' }),
    store: Flags.string({ summary: 'Resource store (default sqlite). Env: ZONECTL_STORE.', options: ['sqlite', 'memory', 'postgres'] }),
    'postgres-url': Flags.string({ summary: 'With --store postgres: the database, postgres://USER[:PASSWORD]@HOST:5432/DATABASE[?sslmode=verify-full&sslrootcert=FILE]. Env: ZONECTL_POSTGRES_URL.' }),
    'postgres-password-file': Flags.string({ summary: 'With --store postgres: file whose first line is the password (wins over one in the URL). Env: ZONECTL_POSTGRES_PASSWORD_FILE.' }),
    'postgres-max-connections': Flags.integer({ summary: 'With --store postgres: connections this instance opens at most (default 10). Env: ZONECTL_POSTGRES_MAX_CONNECTIONS.', min: 2, max: 1000 }),
    'postgres-cache-mb': Flags.integer({ summary: 'With --store postgres: MiB of resource documents this instance keeps in memory to answer reads (default 64; 0 = read everything from PostgreSQL). Env: ZONECTL_POSTGRES_CACHE_MB.', min: 0, max: 1000000 }),
    'localhost-is-admin': Flags.boolean({ summary: 'Treat callers from 127.0.0.1/::1 as admins (default on; --no-localhost-is-admin turns it off). Env: ZONECTL_LOCALHOST_IS_ADMIN.', allowNo: true, default: undefined }),
    'log-level': Flags.string({ summary: 'How much to log (default info). Env: ZONECTL_LOG_LEVEL.', options: [...LOG_LEVELS] }),
    'log-format': Flags.string({ summary: 'Log lines as json, or text for people (default: text on a terminal, json otherwise).', options: [...LOG_FORMATS] }),
    mode: Flags.string({ summary: 'Mode: standalone (default), global (zone control planes connect to it), or zone (syncs with a global). Env: ZONECTL_MODE.', options: ['standalone', 'global', 'zone'] }),
    'kds-port': Flags.integer({ summary: 'Global: port zone control planes connect to (default 5685). Env: ZONECTL_KDS_PORT.', min: 0, max: 65535 }),
    'kds-address': Flags.string({ summary: 'Global: address of the KDS server (default 127.0.0.1, like the API; 0.0.0.0 for every interface). Env: ZONECTL_KDS_ADDRESS.' }),
    'global-address': Flags.string({ summary: "Zone: the global's KDS address, https://HOST:5685. Env: ZONECTL_GLOBAL_ADDRESS." }),
    'global-token-file': Flags.string({ summary: 'Zone: file with a zone token of scope cp minted on the global. Env: ZONECTL_GLOBAL_TOKEN_FILE.' }),
    'global-ca-cert-file': Flags.string({ summary: "Zone: CA of the global's KDS certificate (its <data-dir>/kds-server/ca.crt). Env: ZONECTL_GLOBAL_CA_CERT_FILE." }),
    'max-connections': Flags.integer({ summary: 'Open connections each listener (API, API TLS, dp-server) accepts (default 10000); beyond, new ones are closed at once. Env: ZONECTL_MAX_CONNECTIONS.', min: 1 }),
    config: Flags.string({ summary: 'YAML/JSON file with these settings (keys as the flag names). Env: ZONECTL_CP_CONFIG (ZONECTL_CONFIG is the CLI config file).' }),
    'allow-unbounded-tokens': Flags.boolean({ summary: "Mint Kuma's 10-year zone tokens when POST /tokens/zone has no validFor (default: refuse). Env: ZONECTL_ALLOW_UNBOUNDED_TOKENS.", env: 'ZONECTL_ALLOW_UNBOUNDED_TOKENS', default: false }),
    'zone-token-public-key': Flags.string({ summary: 'KID=FILE: also accept zone tokens signed elsewhere (e.g. by a Kuma global control plane) with this public key (PEM, PKCS#1 or PKIX). Repeatable.', multiple: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ControlPlaneRun);
    await runControlPlane(flags, { out: (line) => this.log(line) });
  }
}
