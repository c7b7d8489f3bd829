/**
 * Loading resource documents from YAML or JSON text: `{{ var }}` templates, multi-document split,
 * parsing, and lazy source positions. Pure functions over strings: no files, no printing; the
 * `validate` and `apply` commands both build on them.
 *
 * Speed comes from three choices: documents are split on their `---` lines without a YAML parser
 * (YAML forbids `---` at column 0 inside content, so the split is exact); each document goes
 * through a fast parser for the plain subset manifests use, and only the rest through `yaml`;
 * positions of fields are computed only when asked for, i.e. for documents with violations.
 */
import { FALLBACK, fastParseYaml, type PositionTable } from './fast-yaml.js';
import { joinField, parseFieldPath } from './field-path.js';
import { locateField, parseAllWithYaml, parseWithYaml } from './locate.js';

/** A 1-based line and column in the source file. */
export interface SourcePosition {
  line: number;
  column: number;
}

export interface SyntaxProblem extends SourcePosition {
  message: string;
}

export interface LoadedDocument {
  /** The file name as given (`<stdin>` for standard input). */
  file: string;
  /** 0-based index of the document among the non-empty documents of its file. */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
  /** The parsed value; undefined when `syntaxError` is set. */
  value?: unknown;
  /** Set when the document is not valid YAML (or JSON); the position is absolute in the file. */
  syntaxError?: SyntaxProblem;
  /**
   * Position of a field path (`networking.port`, `mtls.backends[0].name`, `tags["kuma.io/service"]`)
   * in the file: the key of the deepest existing ancestor of the path, or the document start.
   * Computed lazily (parses the document again with positions), so call it only for failing
   * documents: that is what keeps validating thousands of valid documents fast.
   */
  locate(field: string): SourcePosition;
}

export interface LoadOptions {
  file: string;
  /** Values for `{{ key }}` templates, applied to the whole text before parsing. */
  vars?: Record<string, string>;
}

/**
 * Contract: renders kumactl's `--var` templates: every `{{ key }}` or `{{{ key }}}` (spaces optional) is replaced
 * by `vars[key]`; keys may contain dots (`{{ a.b }}` looks up the `--var a.b=...` value); an
 * unknown key renders as the empty string, as kumactl's mustache does. Text without `{{` is
 * returned unchanged.
 */
export function renderTemplate(text: string, vars: Record<string, string>): string {
  if (!text.includes('{{')) return text;
  // {{{ key }}} is mustache's unescaped form; kumactl accepts both, and so do we.
  return text.replace(/\{\{(\{?)\s*([^{}\s]+)\s*\}\}(\}?)/g, (m, open: string, key: string, close: string) => {
    if (open.length !== close.length) return m;
    return Object.prototype.hasOwnProperty.call(vars, key) ? vars[key] : '';
  });
}

/** One document's source: its text and the 1-based file line its first text line is on. */
interface Chunk {
  text: string;
  firstLine: number;
  /** Line of its first non-blank, non-comment line; undefined for an empty document. */
  contentLine?: number;
}

/**
 * Contract: splits `text` (YAML, multi-document, or JSON) into its non-empty documents and
 * parses each. Never throws on bad input: a syntax error becomes `syntaxError` on that document
 * and the other documents still load. Templates are rendered first when `opts.vars` is given.
 */
export function loadDocuments(text: string, opts: LoadOptions): LoadedDocument[] {
  return [...iterateDocuments(text, opts)];
}

/**
 * Contract: loadDocuments() one document at a time, parsing each only when it is asked for, so a
 * caller that validates and drops documents keeps memory flat on large inputs.
 */
export function* iterateDocuments(text: string, opts: LoadOptions): Generator<LoadedDocument, void, undefined> {
  let source = opts.vars ? renderTemplate(text, opts.vars) : text;
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);
  const json = tryJson(source);
  if (json !== FALLBACK) {
    const chunk = { text: source, firstLine: 1 };
    yield makeDoc(opts.file, 0, chunk, firstContentLine(chunk), json);
    return;
  }
  // Directives (`%YAML`, `%TAG`) apply across `---`: leave such files to `yaml` whole.
  if (/^%/m.test(source)) {
    yield* loadWithDirectives(source, opts.file);
    return;
  }
  let index = 0;
  for (const chunk of splitDocuments(source)) {
    if (chunk.contentLine === undefined) continue;
    yield loadChunk(opts.file, index++, chunk, chunk.contentLine);
  }
}

function tryJson(source: string): unknown {
  const m = /^\s*[{[]/.exec(source);
  if (!m) return FALLBACK;
  try {
    return JSON.parse(source) as unknown;
  } catch {
    return FALLBACK;
  }
}

const MARKER = /^(?:---|\.\.\.)(?:[ \t\r]|$)/;

/** Splits on `---` / `...` lines (no directives in source), noting where each chunk's content starts. */
function splitDocuments(source: string): Chunk[] {
  const chunks: Chunk[] = [];
  let chunkStart = 0;
  let chunkLine = 1;
  let contentLine: number | undefined;
  let pos = 0;
  let line = 1;
  const n = source.length;
  while (pos < n) {
    let end = source.indexOf('\n', pos);
    if (end < 0) end = n;
    const c = source.charCodeAt(pos);
    if ((c === 45 || c === 46) && MARKER.test(source.slice(pos, Math.min(end, pos + 4)))) {
      if (pos > chunkStart) chunks.push({ text: source.slice(chunkStart, pos), firstLine: chunkLine, contentLine });
      contentLine = undefined;
      // `--- value` puts content on the marker line: keep it, blanking the marker to keep columns.
      const rest = source.slice(pos + 3, end).trim();
      if (c === 45 && rest !== '' && !rest.startsWith('#')) {
        chunkStart = pos;
        chunkLine = line;
        contentLine = line;
        source = `${source.slice(0, pos)}   ${source.slice(pos + 3)}`;
      } else {
        chunkStart = end + 1;
        chunkLine = line + 1;
      }
    } else if (contentLine === undefined) {
      let i = pos;
      while (i < end && (source.charCodeAt(i) === 32 || source.charCodeAt(i) === 9)) i++;
      const first = source.charCodeAt(i);
      if (i < end && first !== 35 && first !== 13) contentLine = line;
    }
    pos = end + 1;
    line++;
  }
  if (chunkStart < n) chunks.push({ text: source.slice(chunkStart), firstLine: chunkLine, contentLine });
  return chunks;
}

/** Line of the first non-blank, non-comment line of a chunk; undefined for an empty document. */
function firstContentLine(chunk: Chunk): number | undefined {
  const re = /^[ \t]*([^ \t\r\n#])/gm;
  const m = re.exec(chunk.text);
  if (!m) return undefined;
  let line = chunk.firstLine;
  for (let i = 0; i < m.index; i++) if (chunk.text.charCodeAt(i) === 10) line++;
  return line;
}

function loadChunk(file: string, index: number, chunk: Chunk, start: number): LoadedDocument {
  const fast = fastParseYaml(chunk.text);
  if (fast !== FALLBACK) return makeDoc(file, index, chunk, start, fast, fastLocator());
  const parsed = parseWithYaml(chunk.text);
  if (parsed.error) {
    const at = { line: parsed.error.line + chunk.firstLine - 1, column: parsed.error.column };
    return { file, index, line: start, syntaxError: { message: parsed.error.message, line: at.line, column: at.column }, locate: () => at };
  }
  return makeDoc(file, index, chunk, start, parsed.value, locateField);
}

type Locator = (text: string, field: string) => SourcePosition | undefined;

function makeDoc(file: string, index: number, chunk: Chunk, start: number | undefined, value: unknown, locator: Locator = locateField): LoadedDocument {
  const line = start ?? chunk.firstLine;
  return {
    file,
    index,
    line,
    value,
    locate(field: string): SourcePosition {
      const pos = locator(chunk.text, field);
      return pos ? { line: pos.line + chunk.firstLine - 1, column: pos.column } : { line, column: 1 };
    },
  };
}

/**
 * Positions for a document the fast parser accepted: parse it again recording positions (still
 * far cheaper than loading `yaml`; once per document), then look the path up, walking up to the
 * deepest ancestor that exists.
 */
function fastLocator(): Locator {
  let positions: PositionTable | undefined;
  let declined = false;
  return (text, field) => {
    if (!positions) {
      positions = new Map();
      declined = fastParseYaml(text, positions) === FALLBACK;
    }
    if (declined) return locateField(text, field);
    const segs = parseFieldPath(field);
    for (let n = segs.length; n > 0; n--) {
      const at = positions.get(segs.slice(0, n).reduce<string>((p, seg) => joinField(p, seg), ''));
      if (at) return at;
    }
    return undefined;
  };
}

function* loadWithDirectives(source: string, file: string): Generator<LoadedDocument, void, undefined> {
  let index = 0;
  for (const d of parseAllWithYaml(source)) {
    const chunk: Chunk = { text: source.slice(d.start, d.end), firstLine: d.line };
    if (d.error) {
      const at = { line: d.error.line, column: d.error.column };
      yield { file, index: index++, line: d.line, syntaxError: { message: d.error.message, line: at.line, column: at.column }, locate: () => at };
    } else {
      yield makeDoc(file, index++, chunk, d.line, d.value);
    }
  }
}
