/**
 * Base of commands that print data: `--json` (oclif's enableJsonFlag: the command's return value
 * is the JSON) and `-o table|yaml|json` (`-o wide` too where a command has more columns), and
 * `--watch` for the commands that read state that changes.
 */
import { Flags } from '@oclif/core';
import { BaseCommand } from './base.js';
import { OUTPUT_FORMATS, renderJson } from './printers.js';
import { parseInterval, watchLoop } from './watch.js';

export const outputFlag = {
  output: Flags.string({
    char: 'o',
    summary: 'Output format.',
    options: [...OUTPUT_FORMATS],
    default: 'table',
  }),
};

/** `-o` of list-like commands: `wide` adds columns to the table. */
export const listOutputFlag = {
  output: Flags.string({
    char: 'o',
    summary: 'Output format (wide: the table with more columns).',
    options: ['table', 'wide', 'yaml', 'json'],
    default: 'table',
  }),
};

export const watchFlags = {
  watch: Flags.boolean({ char: 'w', summary: 'Print again whenever the result changes, until Ctrl-C.', default: false }),
  interval: Flags.string({ summary: 'How often --watch asks the control plane (Go duration).', default: '2s', helpValue: '<duration>' }),
};

export interface Renderers {
  table: () => string;
  yaml: () => string;
  /** The `-o wide` table; the plain table when absent. */
  wide?: () => string;
}

export abstract class DataCommand extends BaseCommand {
  static override enableJsonFlag = true;

  /** The text of a value in a format (`-o json` is the same JSON as --json). */
  protected renderData(outputFormat: string | undefined, value: unknown, render: Renderers): string {
    const fmt = this.jsonEnabled() ? 'json' : (outputFormat ?? 'table');
    if (fmt === 'json') return renderJson(value);
    if (fmt === 'yaml') return render.yaml();
    if (fmt === 'wide') return (render.wide ?? render.table)();
    return render.table();
  }

  /** Prints a value in the chosen format unless --json is on (oclif then prints the return value). */
  protected printData(outputFormat: string | undefined, value: unknown, render: Renderers): void {
    if (this.jsonEnabled()) return;
    const text = this.renderData(outputFormat, value, render);
    if (text !== '') process.stdout.write(text);
  }

  /**
   * What every reading command does with its data: with --watch, `watch` it; else fetch it once,
   * print it and return it (the value behind --json).
   */
  protected async printOrWatch<T>(flags: { output?: string; interval?: string; watch?: boolean }, fetch: () => Promise<T>, render: (value: T) => Renderers): Promise<T> {
    if (flags.watch) return this.watch(flags, fetch, render);
    const value = await fetch();
    this.printData(flags.output, value, render(value));
    return value;
  }

  /**
   * Runs `fetch` and prints its rendering again whenever it changes until Ctrl-C, then exits 0.
   * JSON prints one compact document per line so that a pipe can read it line by line.
   */
  protected async watch<T>(flags: { output?: string; interval?: string }, fetch: () => Promise<T>, render: (value: T) => Renderers): Promise<never> {
    const json = this.jsonEnabled() || flags.output === 'json';
    await watchLoop({
      intervalMs: parseInterval(flags.interval ?? '2s'),
      fetch,
      render: (value) => (json ? `${JSON.stringify(value)}\n` : this.renderData(flags.output, value, render(value))),
    });
    return this.exit(0);
  }
}

