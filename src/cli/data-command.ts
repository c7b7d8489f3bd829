/**
 * Base of commands that print data: `--json` (oclif's enableJsonFlag: the command's return value
 * is the JSON) and `-o table|yaml|json`.
 */
import { Flags } from '@oclif/core';
import { BaseCommand } from './base.js';
import { OUTPUT_FORMATS, renderJson, type OutputFormat } from './printers.js';

export const outputFlag = {
  output: Flags.string({
    char: 'o',
    summary: 'Output format.',
    options: [...OUTPUT_FORMATS],
    default: 'table',
  }),
};

export abstract class DataCommand extends BaseCommand {
  static override enableJsonFlag = true;

  /**
   * Prints a value in the chosen format unless --json is on (oclif then prints the return value).
   * `-o json` prints the same JSON as --json.
   */
  protected printData(outputFormat: string | undefined, value: unknown, render: { table: () => string; yaml: () => string }): void {
    if (this.jsonEnabled()) return;
    const fmt = (outputFormat ?? 'table') as OutputFormat;
    const text = fmt === 'json' ? renderJson(value) : fmt === 'yaml' ? render.yaml() : render.table();
    if (text !== '') process.stdout.write(text);
  }
}
