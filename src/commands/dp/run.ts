import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { durationFlag, egressRunOptions, listeningLine, portFlag, workersFlag } from '../../cli/dp-run.js';
import { runEgress } from '../../egress/run.js';
import { LOG_FORMATS, LOG_LEVELS } from '../../core/log.js';

export default class DpRun extends BaseCommand {
  static override summary = 'Run the bundled SNI egress proxy.';
  static override description = `Routes TLS connections by SNI: passthrough to remote zone ingresses, or mesh-mTLS termination toward external services. Routes come from a static YAML file (reloaded on SIGHUP and on change) or from a control plane. With --workers N, N processes share the listener and one primary holds the routes source and the admin API (/ready, /stats, /stats/prometheus, /config_dump, /clusters, on loopback) for all of them. SIGTERM drains for --drain-time, then exits 0.`;
  static override examples = [
    '$ <%= config.bin %> dp run --proxy-type=egress --routes-file routes.yaml --port 10002 --admin-port 9901',
    '$ <%= config.bin %> dp run --proxy-type=egress --routes-file routes.yaml --dataplane-file zoneegress.yaml --drain-time 5s --workers 4',
    '$ <%= config.bin %> dp run --proxy-type=egress --routes-file routes.yaml --access-log /var/log/zonectl/egress-access.log --access-log tcp://127.0.0.1:5170',
    '$ <%= config.bin %> dp run --proxy-type=egress --cp-address=https://127.0.0.1:5678 --ca-cert-file .zonectl/dp-server/ca.crt --dataplane-token-file=egress.token --dataplane-file=zoneegress.yaml',
  ];

  static override flags = {
    'proxy-type': Flags.string({ description: 'Kind of proxy to run (zonectl runs the egress).', options: ['egress'], required: true }),
    'routes-file': Flags.string({ description: 'Serve static routes from this YAML file (schemas/egress-routes.schema.json) instead of a control plane.', exclusive: ['cp-address'] }),
    'cp-address': Flags.string({ description: 'URL of the control plane\'s dp-server, e.g. https://127.0.0.1:5678; repeat it (or use a DNS name with several addresses) to fail over between control-plane instances.', exclusive: ['routes-file'], multiple: true, multipleNonGreedy: true }),
    'dataplane-token-file': Flags.string({ description: 'File with the zone token (scope egress) the egress authenticates with.', dependsOn: ['cp-address'] }),
    'dataplane-file': Flags.string({ description: 'ZoneEgress resource (YAML); its networking.address, port and admin.port are the defaults.' }),
    'dataplane-var': Flags.string({ description: 'KEY=VALUE for {{ KEY }} templates in the dataplane file (repeatable).', multiple: true, multipleNonGreedy: true, dependsOn: ['cp-address'] }),
    'ca-cert-file': Flags.string({ description: "CA of the control plane's dp-server certificate (<data-dir>/dp-server/ca.crt).", dependsOn: ['cp-address'] }),
    'skip-verify': Flags.boolean({ description: "Do not verify the dp-server's certificate (insecure; prints a warning).", dependsOn: ['cp-address'] }),
    address: Flags.string({ description: 'Listener address, over the dataplane file\'s (default 127.0.0.1; 0.0.0.0 for every interface).' }),
    port: Flags.custom<number>({ description: 'Listener port, over the dataplane file\'s (default 10002).', parse: portFlag('port') })(),
    'admin-address': Flags.string({ description: 'Admin API address (default 127.0.0.1).' }),
    'admin-port': Flags.custom<number>({ description: 'Admin API port, over the dataplane file\'s (default 9901).', parse: portFlag('admin-port') })(),
    'drain-time': Flags.custom<number>({ description: 'How long live connections may finish after SIGTERM.', default: 30_000, defaultHelp: async () => '30s', parse: durationFlag('drain-time') })(),
    'client-hello-timeout': Flags.custom<number>({ description: 'Close clients that take longer to send their TLS ClientHello.', default: 5_000, defaultHelp: async () => '5s', parse: durationFlag('client-hello-timeout') })(),
    'max-connections': Flags.integer({ description: 'Client connections each egress process holds at once (with --workers N, each worker: N times this in all); beyond, new ones are closed at once and counted as rejected max-connections. Env: ZONECTL_MAX_CONNECTIONS.', default: 10_000, min: 1, env: 'ZONECTL_MAX_CONNECTIONS' }),
    'upstream-connect-timeout': Flags.custom<number>({ description: 'Give up connecting to one upstream endpoint after this long and try the next one (0s waits for the operating system); a snapshot or routes file may override it.', default: 5_000, defaultHelp: async () => '5s', parse: durationFlag('upstream-connect-timeout') })(),
    'idle-timeout': Flags.custom<number>({ description: 'Close a relayed connection that carried no byte either way for this long (0s: never).', default: 3_600_000, defaultHelp: async () => '1h', parse: durationFlag('idle-timeout') })(),
    'tcp-keepalive': Flags.custom<number>({ description: 'TCP keepalive on relayed connections, first probe after this idle time (0s: off).', default: 0, defaultHelp: async () => '0s', parse: durationFlag('tcp-keepalive') })(),
    'access-log': Flags.string({ description: 'Also log every connection (one JSON line each) to stdout, a file (reopened on SIGUSR1), or tcp://HOST:PORT; repeatable. Adds to what a MeshAccessLog or the routes file configures.', multiple: true, multipleNonGreedy: true }),
    workers: Flags.custom<number>({ description: 'Processes sharing the listener: N, or auto (one per available CPU); 1 runs the proxy in this process.', default: async () => workersFlag('auto'), defaultHelp: async () => 'auto', parse: workersFlag })(),
    'log-level': Flags.string({ description: 'How much to log.', options: [...LOG_LEVELS], default: 'info' }),
    'log-format': Flags.string({ description: 'Log lines as json, or text for people (default: text on a terminal, json otherwise).', options: [...LOG_FORMATS] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DpRun);
    await runEgress(egressRunOptions(flags, this.config.version), (l) => this.log(listeningLine(l, flags.workers)));
  }
}
