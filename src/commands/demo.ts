import { Flags } from '@oclif/core';
import { once } from 'node:events';
import { BaseCommand } from '../cli/base.js';
import { runDemo } from '../cli/demo/index.js';
import { runMultizoneDemo } from '../cli/demo/multizone.js';

export default class Demo extends BaseCommand {
  static override summary = 'Run the end-to-end demo on embedded defaults (what `npm start` runs).';
  static override description =
    'Starts a control plane (SQLite, temporary data dir), applies a Mesh with builtin mTLS and routing.zoneEgress, a ZoneIngress of zone-2 and an ExternalService (both local servers), mints an egress-scoped zone token, starts the egress, sends one connection through each route as a sidecar with a mesh certificate, and prints `inspect zoneegresses`. Everything listens on 127.0.0.1; Ctrl-C stops it all.';
  static override examples = ['$ <%= config.bin %> <%= command.id %>', '$ <%= config.bin %> <%= command.id %> --once', '$ <%= config.bin %> <%= command.id %> --multizone'];
  static override flags = {
    once: Flags.boolean({ summary: 'Stop after the last step instead of waiting for Ctrl-C.', default: false }),
    multizone: Flags.boolean({ summary: 'Run the multizone flow instead: a global, zone-1 and zone-2 control planes, an egress in zone-1 routing to zone-2 (npm start -- --multizone).', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Demo);
    await (flags.multizone ? runMultizoneDemo : runDemo)({
      out: (line) => this.log(line),
      color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      version: this.config.version,
      untilStopped: async () => {
        if (flags.once) return;
        await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
      },
    });
  }
}
