import { Flags } from '@oclif/core';
import { ApiClient } from '../../../client/api-client.js';
import { getIndex } from '../../../client/system.js';
import { configPath, readOrInitConfig, writeConfig, type ApiServerConfig } from '../../../cli/config-file.js';
import { configFileFlag, parsePairs } from '../../../cli/config-flags.js';
import { addControlPlane } from '../../../cli/config-ops.js';
import { apiHeaders, parseTimeout } from '../../../cli/cp-flags.js';
import { BaseCommand } from '../../../cli/base.js';
import { UsageError } from '../../../core/errors.js';

function isHttpUrl(s: string): boolean {
  if (!URL.canParse(s)) return false;
  const u = new URL(s);
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
}

export default class ControlPlanesAdd extends BaseCommand {
  static override summary = 'Add a control plane (and a context of the same name) and make it active.';
  static override examples = [
    '$ <%= config.bin %> config control-planes add --name local --address http://127.0.0.1:5681',
    '$ <%= config.bin %> config control-planes add --name prod --address https://cp.example.com:5682 --ca-cert-file ca.pem --auth-type tokens --auth-conf token=$(cat admin-token)',
  ];

  static override flags = {
    ...configFileFlag,
    name: Flags.string({ summary: 'Reference name of the control plane.', required: true }),
    address: Flags.string({ summary: 'URL of its API server, e.g. http://127.0.0.1:5681.', required: true }),
    overwrite: Flags.boolean({ summary: 'Replace a control plane of the same name.', default: false }),
    'ca-cert-file': Flags.string({ summary: 'CA certificate (PEM) that signed the API server certificate.' }),
    'client-cert-file': Flags.string({ summary: 'Client certificate (PEM) for mTLS to the API server.', dependsOn: ['client-key-file'] }),
    'client-key-file': Flags.string({ summary: 'Key of the client certificate (PEM).', dependsOn: ['client-cert-file'] }),
    'skip-verify': Flags.boolean({ summary: 'Do not verify the API server certificate.', default: false }),
    headers: Flags.string({ summary: 'Header sent on every request, key=value (repeatable).', multiple: true }),
    'auth-type': Flags.string({ summary: 'Authentication plugin.', options: ['tokens'] }),
    'auth-conf': Flags.string({ summary: 'Configuration of the auth plugin, e.g. token=... (repeatable).', multiple: true, dependsOn: ['auth-type'] }),
    'skip-check': Flags.boolean({ summary: 'Do not check that the control plane answers (and, with --auth-conf, that the token is an admin token).', default: false }),
    'api-timeout': Flags.string({ summary: 'Timeout of the check request (Go duration).', default: '1m' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ControlPlanesAdd);
    const headers = parsePairs(flags.headers, 'headers');
    const authConf = parsePairs(flags['auth-conf'], 'auth-conf');
    const apiServer: ApiServerConfig = {
      url: flags.address,
      ...(Object.keys(headers).length ? { headers: Object.entries(headers).map(([key, value]) => ({ key, value })) } : {}),
      ...(flags['ca-cert-file'] ? { caCertFile: flags['ca-cert-file'] } : {}),
      ...(flags['client-cert-file'] ? { clientCertFile: flags['client-cert-file'], clientKeyFile: flags['client-key-file'] } : {}),
      ...(flags['auth-type'] ? { authType: flags['auth-type'], authConf } : {}),
      ...(flags['skip-verify'] ? { skipVerify: true } : {}),
    };
    if (!isHttpUrl(flags.address)) {
      throw new UsageError(`--address ${JSON.stringify(flags.address)} is not a valid URL of an API server: give http(s)://host:port, e.g. http://127.0.0.1:5681`);
    }
    const file = configPath(flags['config-file']);
    const next = addControlPlane(readOrInitConfig(file), flags.name, apiServer, flags.overwrite);
    if (!flags['skip-check']) await this.check(flags.name, apiServer, parseTimeout(flags['api-timeout']));
    writeConfig(file, next);
    this.log(`added Control Plane ${JSON.stringify(flags.name)}`);
    this.log(`switched active Control Plane to ${JSON.stringify(flags.name)}`);
  }

  private async check(name: string, api: ApiServerConfig, timeoutMs: number): Promise<void> {
    const client = new ApiClient({
      baseUrl: api.url,
      headers: apiHeaders({ name, coordinates: { apiServer: api } }),
      tls: { caCertFile: api.caCertFile, clientCertFile: api.clientCertFile, clientKeyFile: api.clientKeyFile, skipVerify: api.skipVerify },
      timeoutMs,
    });
    try {
      await getIndex(client);
      // With credentials, prove they work: /config answers only admins (kumactl checks its token too).
      if (api.authType) await client.request('GET', '/config');
    } finally {
      client.close();
    }
  }
}
