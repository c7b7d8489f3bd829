import { BaseCommand } from '../../cli/base.js';
import { installCrdsManifest } from '../../cli/install/run.js';

export default class InstallCrds extends BaseCommand {
  static override summary = 'Print the CustomResourceDefinitions of every kind zonectl serves.';
  static override description = `Kuma's names, scopes, short names and printer columns; each spec's OpenAPI v3 schema is generated from the JSON Schema in schemas/ at build time.`;
  static override examples = ['$ <%= config.bin %> <%= command.id %> | kubectl apply -f -'];

  async run(): Promise<void> {
    await this.parse(InstallCrds);
    process.stdout.write(installCrdsManifest());
  }
}
