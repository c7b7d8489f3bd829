/**
 * Output printers: kumactl's borderless table (columns padded and separated by three spaces, no
 * trailing blanks), YAML (keys sorted as Go's yaml marshaller does; one resource prints its meta
 * fields first, as kumactl), and JSON in the REST shape. Colour only on a TTY without NO_COLOR.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { stringify } from 'yaml';
import { META_KEYS } from '../resources/types.js';

export type OutputFormat = 'table' | 'yaml' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'yaml', 'json'];

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '   ',
};

/** Colours for a stream: real ones on a TTY (unless NO_COLOR or TERM=dumb), none otherwise. */
export function colorsFor(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const on = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  return new Chalk({ level: on ? 1 : 0 });
}

/** A table as kumactl prints it; empty string when there is neither header nor row. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  if (header.length === 0 && rows.length === 0) return '';
  const table = new Table({
    head: [...header],
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  for (const row of rows) table.push([...row]);
  return `${table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, sortKeys(obj[k])]),
    );
  }
  return value;
}

function toYaml(value: unknown): string {
  // The YAML 1.1 schema quotes what Go's marshaller quotes ("1", "on", timestamps).
  return stringify(value, { schema: 'yaml-1.1', indentSeq: false, lineWidth: 0 });
}

/** YAML of one resource: sorted meta fields, then sorted spec fields (kumactl's yaml printer). */
export function renderResourceYaml(resource: Record<string, unknown>): string {
  const keys = Object.keys(resource);
  const meta = keys.filter((k) => META_KEYS.has(k)).sort();
  const spec = keys.filter((k) => !META_KEYS.has(k)).sort();
  return toYaml(Object.fromEntries([...meta, ...spec].map((k) => [k, sortKeys(resource[k])])));
}

/** Several objects as one multi-document YAML stream (`---` between them), keys sorted; '' for none. */
export function renderDocumentsYaml(items: readonly unknown[]): string {
  return items.map((i) => toYaml(sortKeys(i))).join('---\n');
}

/** YAML of anything else (lists, configs): all keys sorted. */
export function renderYaml(value: unknown): string {
  return toYaml(sortKeys(value));
}

export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
