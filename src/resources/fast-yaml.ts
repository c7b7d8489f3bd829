/**
 * A fast parser for the plain subset of YAML that resource manifests are written in: block
 * mappings and sequences, plain and single-line quoted scalars, comments. It is many times faster
 * than the `yaml` library because it keeps no CST and works on character offsets. It returns
 * FALLBACK for anything outside that subset (flow collections, anchors, tags, block scalars,
 * multi-line scalars, tabs, unusual keys, duplicate keys, syntax errors) and the caller then parses
 * with `yaml`, which stays the one authority on YAML and on error messages. For what it accepts,
 * the result equals `yaml`'s toJS() under the YAML 1.2 core schema (a property test pins that).
 */

export const FALLBACK: unique symbol = Symbol('fallback');
export type FastResult = unknown | typeof FALLBACK;

/** Where each key or item of the parsed collections starts: 1-based line and column. */
export type PositionTable = WeakMap<object, Map<string | number, { line: number; column: number }>>;

class Fail extends Error {}
const fail = new Fail();

const SPACE = 32;
const TAB = 9;
const HASH = 35;
const COLON = 58;
const DASH = 45;
const DQUOTE = 34;
const SQUOTE = 39;

/**
 * Parses one YAML document (no `---` markers inside). Returns FALLBACK when unsure. With
 * `positions`, also records where every key and item starts (used for failing documents only).
 */
export function fastParseYaml(src: string, positions?: PositionTable): FastResult {
  const p = new Parser(src, positions);
  if (!p.scanLines()) return FALLBACK;
  if (p.count === 0) return null;
  try {
    const value = p.block(p.ind[0]);
    if (p.pos !== p.count) return FALLBACK;
    return value;
  } catch (err) {
    if (err === fail) return FALLBACK;
    throw err;
  }
}

// Characters that may not start a plain scalar here (or make it ambiguous): ? : , [ ] { } # & * ! | > ' " % @ `
const INDICATOR = new Uint8Array(128);
for (const ch of '?:,[]{}#&*!|>\'"%@`') INDICATOR[ch.charCodeAt(0)] = 1;
// Characters of a plain key we accept without asking `yaml`: [A-Za-z0-9_./-].
const KEY_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9_./-]/.test(ch)) KEY_CHAR[c] = 1;
}
const KEY_WORDS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);

class Parser {
  /** Per content line: indentation, start and end offsets of its text (trimmed), 0-based line number. */
  ind: number[] = [];
  st: number[] = [];
  en: number[] = [];
  ln: number[] = [];
  count = 0;
  pos = 0;

  constructor(
    private readonly src: string,
    private readonly positions?: PositionTable,
  ) {}

  /** Collects content lines (not blank, not comments). False on a tab in indentation. */
  scanLines(): boolean {
    const src = this.src;
    const n = src.length;
    let start = 0;
    for (let lineNo = 0; start <= n; lineNo++) {
      let end = src.indexOf('\n', start);
      if (end < 0) end = n;
      let stop = end;
      if (stop > start && src.charCodeAt(stop - 1) === 13) stop--;
      let i = start;
      while (i < stop && src.charCodeAt(i) === SPACE) i++;
      if (i < stop) {
        const c = src.charCodeAt(i);
        if (c === TAB) return false;
        if (c !== HASH) {
          let e = stop;
          while (e > i && (src.charCodeAt(e - 1) === SPACE || src.charCodeAt(e - 1) === TAB)) e--;
          this.ind.push(i - start);
          this.st.push(i);
          this.en.push(e);
          this.ln.push(lineNo);
          this.count++;
        }
      }
      start = end + 1;
    }
    return true;
  }

  private isSeqItem(k: number): boolean {
    const s = this.st[k];
    return this.src.charCodeAt(s) === DASH && (this.en[k] === s + 1 || this.src.charCodeAt(s + 1) === SPACE);
  }

  private record(target: object, key: string | number, k: number): void {
    const positions = this.positions as PositionTable;
    let table = positions.get(target);
    if (!table) {
      table = new Map();
      positions.set(target, table);
    }
    table.set(key, { line: this.ln[k] + 1, column: this.ind[k] + 1 });
  }

  block(indent: number): unknown {
    if (this.ind[this.pos] !== indent) throw fail;
    return this.isSeqItem(this.pos) ? this.seq(indent) : this.map(indent);
  }

  /** The value after `key:` or `- ` when it is on the following lines. */
  private nested(indent: number, allowSameIndentSeq: boolean): unknown {
    if (this.pos >= this.count) return null;
    const next = this.ind[this.pos];
    if (next > indent) return this.block(next);
    if (allowSameIndentSeq && next === indent && this.isSeqItem(this.pos)) return this.seq(indent);
    return null;
  }

  map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const src = this.src;
    while (this.pos < this.count && this.ind[this.pos] === indent) {
      const k = this.pos;
      if (this.isSeqItem(k)) throw fail;
      const s = this.st[k];
      const e = this.en[k];
      let key: string;
      let after: number;
      const c = src.charCodeAt(s);
      if (c === DQUOTE || c === SQUOTE) {
        const q = quotedEnd(src, s, e);
        if (q < 0 || src.charCodeAt(q) !== COLON) throw fail;
        key = this.scalar(s, q) as string;
        after = q + 1;
      } else {
        let i = s;
        while (i < e && src.charCodeAt(i) < 128 && KEY_CHAR[src.charCodeAt(i)] === 1) i++;
        if (i === s || i === e || src.charCodeAt(i) !== COLON) throw fail;
        if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) throw fail;
        key = src.slice(s, i);
        if (KEY_WORDS.has(key)) throw fail;
        after = i + 1;
      }
      if (after < e && src.charCodeAt(after) !== SPACE) throw fail;
      while (after < e && src.charCodeAt(after) === SPACE) after++;
      if (this.positions) this.record(out, key, k);
      this.pos++;
      const value = after === e || src.charCodeAt(after) === HASH ? this.nested(indent, true) : this.scalar(after, e);
      if (key === '__proto__' || Object.prototype.hasOwnProperty.call(out, key)) throw fail;
      out[key] = value;
    }
    if (this.pos < this.count && this.ind[this.pos] > indent) throw fail;
    return out;
  }

  seq(indent: number): unknown[] {
    const out: unknown[] = [];
    const src = this.src;
    while (this.pos < this.count && this.ind[this.pos] === indent && this.isSeqItem(this.pos)) {
      const k = this.pos;
      if (this.positions) this.record(out, out.length, k);
      const s = this.st[k];
      const e = this.en[k];
      let i = s + 1;
      while (i < e && src.charCodeAt(i) === SPACE) i++;
      if (i === e || src.charCodeAt(i) === HASH) {
        this.pos++;
        out.push(this.nested(indent, false));
      } else if (src.charCodeAt(i) === DASH && (i + 1 === e || src.charCodeAt(i + 1) === SPACE)) {
        throw fail;
      } else if (looksLikeKey(src, i, e)) {
        // `- key: value`: a mapping whose keys sit at the column of `key`.
        this.ind[k] = indent + (i - s);
        this.st[k] = i;
        out.push(this.map(indent + (i - s)));
      } else {
        this.pos++;
        out.push(this.scalar(i, e));
      }
    }
    if (this.pos < this.count && this.ind[this.pos] > indent) throw fail;
    return out;
  }

  /** A scalar on one line between offsets s and e (trailing comment allowed). */
  scalar(s: number, e: number): unknown {
    const src = this.src;
    const c = src.charCodeAt(s);
    if (c === DQUOTE || c === SQUOTE) {
      const q = quotedEnd(src, s, e);
      if (q < 0) throw fail;
      let t = q;
      while (t < e && src.charCodeAt(t) === SPACE) t++;
      if (t < e && (t === q || src.charCodeAt(t) !== HASH)) throw fail;
      const body = src.slice(s + 1, q - 1);
      if (c === SQUOTE) {
        if (/[\u0000-\u0008\u000a-\u001f]/.test(body)) throw fail;
        return body.indexOf("''") < 0 ? body : body.replace(/''/g, "'");
      }
      if (body.indexOf('\\') < 0 && !/[\u0000-\u001f"]/.test(body)) return body;
      if (!JSON_SAFE_DQ.test(body)) throw fail;
      return JSON.parse(`"${body}"`) as string;
    }
    // One pass: cut a ` #` comment; `: ` or a tab means something we leave to `yaml`.
    let end = e;
    for (let i = s; i < e; i++) {
      const ch = src.charCodeAt(i);
      if (ch === COLON) {
        if (i + 1 === e || src.charCodeAt(i + 1) === SPACE) throw fail;
      } else if (ch === HASH) {
        if (src.charCodeAt(i - 1) === SPACE) {
          end = i - 1;
          while (end > s && src.charCodeAt(end - 1) === SPACE) end--;
          break;
        }
      } else if (ch === TAB) {
        throw fail;
      }
    }
    if (c < 128 && INDICATOR[c] === 1) {
      if (end - s === 2 && src.charCodeAt(s + 1) === (c === 91 ? 93 : c === 123 ? 125 : -1)) return c === 91 ? [] : {};
      throw fail;
    }
    if (c === DASH) {
      const d = src.charCodeAt(s + 1);
      if (!((d >= 48 && d <= 57) || (d >= 65 && d <= 90) || (d >= 97 && d <= 122) || d === 46)) throw fail;
    }
    return resolvePlain(src.slice(s, end));
  }
}

function looksLikeKey(src: string, s: number, e: number): boolean {
  const c = src.charCodeAt(s);
  if (c === DQUOTE || c === SQUOTE) {
    const q = quotedEnd(src, s, e);
    return q > 0 && src.charCodeAt(q) === COLON && (q + 1 === e || src.charCodeAt(q + 1) === SPACE);
  }
  const i = src.indexOf(':', s);
  return i > s && i < e && (i + 1 === e || src.charCodeAt(i + 1) === SPACE);
}

/** Offset just past the closing quote of the quoted scalar starting at s, or -1. */
function quotedEnd(src: string, s: number, e: number): number {
  const q = src.charCodeAt(s);
  for (let i = s + 1; i < e; i++) {
    const c = src.charCodeAt(i);
    if (q === DQUOTE && c === 92) {
      i++;
      continue;
    }
    if (c === q) {
      if (q === SQUOTE && src.charCodeAt(i + 1) === SQUOTE) {
        i++;
        continue;
      }
      return i + 1;
    }
  }
  return -1;
}

// Escapes that mean the same in JSON and YAML double-quoted scalars.
const JSON_SAFE_DQ = /^(?:[^\\"\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*$/;
const NUMBER_LIKE = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** YAML 1.2 core schema resolution, in the order the `yaml` library tries its tags. */
function resolvePlain(v: string): unknown {
  const c = v.charCodeAt(0);
  // Most values start with a letter that cannot begin a null, bool or number.
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) {
    if (c !== 110 && c !== 116 && c !== 102 && c !== 78 && c !== 84 && c !== 70) return v;
    if (v === 'null' || v === 'Null' || v === 'NULL') return null;
    if (v === 'true' || v === 'True' || v === 'TRUE') return true;
    if (v === 'false' || v === 'False' || v === 'FALSE') return false;
    return v;
  }
  if (v === '~') return null;
  if (!NUMBER_LIKE.test(v)) return v;
  if (/^0o[0-7]+$/.test(v)) return parseInt(v.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(v)) return parseInt(v, 10);
  if (/^0x[0-9a-fA-F]+$/.test(v)) return parseInt(v.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(v)) return v.slice(-3).toLowerCase() === 'nan' ? NaN : v[0] === '-' ? -Infinity : Infinity;
  return parseFloat(v);
}
