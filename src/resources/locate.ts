/**
 * The slow, exact half of loading: the `yaml` library, for documents the fast parser declines,
 * for syntax errors with positions, and for the position of a field in a failing document.
 */
import type { Document, LineCounter, Node } from 'yaml';
import { parseFieldPath } from './field-path.js';
import { yamlLib } from './yaml-lib.js';

export interface Parsed {
  value?: unknown;
  error?: { message: string; line: number; column: number };
}

/** Parses one document's text; positions are relative to that text (1-based). */
export function parseWithYaml(text: string): Parsed {
  const YAML = yamlLib();
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const at = lineCounter.linePos(errorOffset(text, err));
    return { error: { message: firstLine(err.message), line: at.line, column: at.col } };
  }
  return { value: doc.toJS({ maxAliasCount: 100 }) };
}

/**
 * Where to point for an error. `yaml` reports an unclosed quote at the end of the document; the
 * opening quote is what the user has to fix, so point there.
 */
function errorOffset(text: string, err: { code: string; message: string; pos: [number, number] }): number {
  const quote = err.code === 'MISSING_CHAR' ? /Missing closing (["'])quote/.exec(err.message)?.[1] : undefined;
  if (!quote) return err.pos[0];
  let i = text.lastIndexOf(quote, err.pos[0] - 1);
  while (i > 0 && quote === '"' && text[i - 1] === '\\') i = text.lastIndexOf(quote, i - 1);
  return i >= 0 ? i : err.pos[0];
}

export interface ParsedInFile extends Parsed {
  /** Offsets of the document's content in the text, and the 1-based line where it starts. */
  start: number;
  end: number;
  line: number;
}

/** Parses a whole multi-document text (used when directives make splitting unsafe); positions are absolute. */
export function parseAllWithYaml(text: string): ParsedInFile[] {
  const YAML = yamlLib();
  const lineCounter = new YAML.LineCounter();
  const out: ParsedInFile[] = [];
  for (const doc of YAML.parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true })) {
    if (doc.contents === null && doc.errors.length === 0) continue;
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    const end = doc.range[2] ?? doc.range[1];
    const line = lineCounter.linePos(start).line;
    const err = doc.errors[0];
    if (err) {
      const at = lineCounter.linePos(err.pos[0]);
      out.push({ start, end, line, error: { message: firstLine(err.message), line: at.line, column: at.col } });
    } else {
      out.push({ start, end, line, value: doc.toJS({ maxAliasCount: 100 }) });
    }
  }
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

const byText = new Map<string, { doc: Document; lc: LineCounter }>();

function parsedForPositions(text: string): { doc: Document; lc: LineCounter } {
  let hit = byText.get(text);
  if (!hit) {
    const YAML = yamlLib();
    const lc = new YAML.LineCounter();
    hit = { doc: YAML.parseDocument(text, { lineCounter: lc, prettyErrors: false }), lc };
    // Only failing documents get here; keep the few most recent for their other violations.
    if (byText.size > 16) byText.clear();
    byText.set(text, hit);
  }
  return hit;
}

/** Position (1-based, relative to text) of the deepest existing node on the path; undefined if the text has no content. */
export function locateField(text: string, field: string): { line: number; column: number } | undefined {
  const YAML = yamlLib();
  const { doc, lc } = parsedForPositions(text);
  let node: unknown = doc.contents;
  if (!node) return undefined;
  let offset = (node as Node).range?.[0] ?? 0;
  for (const seg of parseFieldPath(field)) {
    if (YAML.isMap(node) && typeof seg === 'string') {
      const pair = node.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (YAML.isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) break;
      offset = (item as Node).range?.[0] ?? offset;
      node = item;
    } else break;
  }
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}
