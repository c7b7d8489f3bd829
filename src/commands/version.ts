import { Flags } from '@oclif/core';
import { clientFromFlags, cpFlags } from '../cli/cp-flags.js';
import { DataCommand, outputFlag } from '../cli/data-command.js';
import { renderYaml } from '../cli/printers.js';
import { clientVersion, renderVersionText, serverVersion, type VersionInfo } from '../cli/version.js';

export default class Version extends DataCommand {
  static override summary = "Show the client's version and the control plane's.";
  static override description =
    'The server line comes from GET / of the current context\'s control plane; when it cannot be reached the line says why and the exit code is still 0. `zonectl --version` prints the client line only, without loading anything else.';
  static override examples = ['$ <%= config.bin %> version', '$ <%= config.bin %> version --client', '$ <%= config.bin %> version --json'];

  static override flags = {
    ...cpFlags,
    ...outputFlag,
    client: Flags.boolean({ summary: 'Print the client version only; do not contact a control plane.', default: false }),
  };

  async run(): Promise<VersionInfo> {
    const { flags } = await this.parse(Version);
    const info: VersionInfo = { client: clientVersion() };
    if (!flags.client) {
      const { client } = clientFromFlags(flags);
      try {
        info.server = await serverVersion(client);
      } finally {
        client.close();
      }
    }
    this.printData(flags.output, info, { table: () => renderVersionText(info), yaml: () => renderYaml(info) });
    return info;
  }
}
