/**
 * A fast parser for the plain subset of YAML that resource manifests are written in: block
 * mappings and sequences, plain and single-line quoted scalars, comments. It is many times faster
 * than the `yaml` library because it keeps no CST and works on character offsets. It returns
 * FALLBACK for anything outside that subset (flow collections, anchors, tags, block scalars,
 * multi-line scalars, tabs, unusual keys, duplicate keys, syntax errors) and the caller then parses
 * with `yaml`, which stays the one authority on YAML and on error messages. For what it accepts,
 * the result equals `yaml`'s toJS() under the YAML 1.2 core schema (a property test pins that).
 */

import { joinField } from './field-path.js';

export const FALLBACK: unique symbol = Symbol('fallback');
export type FastResult = unknown | typeof FALLBACK;

/** Where each key or item starts (1-based line and column), by field path (`mtls.backends[0].name`). */
export type PositionTable = Map<string, { line: number; column: number }>;

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
    const value = p.block(p.ind[0], '');
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

// Manifests repeat a few dozen keys thousands of times. Handing V8 the same string object for
// each occurrence (found by a hash computed while scanning) spares it from hashing and
// internalizing a fresh string on every property access: the parser's main cost otherwise.
const KEY_CACHE = new Map<number, string>();

function internKey(src: string, s: number, e: number, h: number): string {
  const hit = KEY_CACHE.get(h);
  if (hit !== undefined && hit.length === e - s && src.startsWith(hit, s)) return hit;
  const key = src.slice(s, e);
  if (KEY_WORDS.has(key)) throw fail;
  if (hit === undefined && KEY_CACHE.size < 4096) KEY_CACHE.set(h, key);
  return key;
}

// Line tables shared by all parses (one parse runs at a time): allocating them per document
// would feed the garbage collector thousands of short-lived arrays.
let tables = newTables(256);

function newTables(size: number) {
  return { ind: new Int32Array(size), st: new Int32Array(size), en: new Int32Array(size), ln: new Int32Array(size) };
}

class Parser {
  /** Per content line: indentation, start and end offsets of its text (trimmed), 0-based line number. */
  ind = tables.ind;
  st = tables.st;
  en = tables.en;
  ln = tables.ln;
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
          if (this.count === this.ind.length) this.grow();
          const k = this.count++;
          this.ind[k] = i - start;
          this.st[k] = i;
          this.en[k] = e;
          this.ln[k] = lineNo;
        }
      }
      start = end + 1;
    }
    return true;
  }

  private grow(): void {
    const bigger = newTables(this.ind.length * 2);
    bigger.ind.set(this.ind);
    bigger.st.set(this.st);
    bigger.en.set(this.en);
    bigger.ln.set(this.ln);
    tables = bigger;
    ({ ind: this.ind, st: this.st, en: this.en, ln: this.ln } = bigger);
  }

  private isSeqItem(k: number): boolean {
    const s = this.st[k];
    return this.src.charCodeAt(s) === DASH && (this.en[k] === s + 1 || this.src.charCodeAt(s + 1) === SPACE);
  }

  private record(path: string, k: number): void {
    (this.positions as PositionTable).set(path, { line: this.ln[k] + 1, column: this.ind[k] + 1 });
  }

  block(indent: number, path: string): unknown {
    if (this.ind[this.pos] !== indent) throw fail;
    return this.isSeqItem(this.pos) ? this.seq(indent, path) : this.map(indent, path);
  }

  /** The value after `key:` or `- ` when it is on the following lines. */
  private nested(indent: number, allowSameIndentSeq: boolean, path: string): unknown {
    if (this.pos < this.count) {
      const next = this.ind[this.pos];
      if (next > indent) return this.block(next, path);
      if (allowSameIndentSeq && next === indent && this.isSeqItem(this.pos)) return this.seq(indent, path);
    }
    return null;
  }

  map(indent: number, path: string): Record<string, unknown> {
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
        key = quotedValue(src, s, q);
        after = q + 1;
      } else {
        let i = s;
        let h = 0;
        for (let ch = src.charCodeAt(i); i < e && ch < 128 && KEY_CHAR[ch] === 1; ch = src.charCodeAt(++i)) h = (h * 31 + ch) | 0;
        if (i === s || i === e || src.charCodeAt(i) !== COLON) throw fail;
        if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) throw fail;
        key = internKey(src, s, i, h);
        after = i + 1;
      }
      if (after < e && src.charCodeAt(after) !== SPACE) throw fail;
      while (after < e && src.charCodeAt(after) === SPACE) after++;
      if (key === '__proto__' || out[key] !== undefined) throw fail;
      const here = this.positions ? joinField(path, key) : '';
      if (this.positions) this.record(here, k);
      this.pos++;
      out[key] = after === e || src.charCodeAt(after) === HASH ? this.nested(indent, true, here) : this.scalar(after, e);
    }
    if (this.pos < this.count && this.ind[this.pos] > indent) throw fail;
    return out;
  }

  seq(indent: number, path: string): unknown[] {
    const out: unknown[] = [];
    const src = this.src;
    while (this.pos < this.count && this.ind[this.pos] === indent && this.isSeqItem(this.pos)) {
      const k = this.pos;
      const here = this.positions ? `${path}[${out.length}]` : '';
      if (this.positions) this.record(here, k);
      const s = this.st[k];
      const e = this.en[k];
      let i = s + 1;
      while (i < e && src.charCodeAt(i) === SPACE) i++;
      if (i === e || src.charCodeAt(i) === HASH) {
        this.pos++;
        out.push(this.nested(indent, false, here));
      } else if (src.charCodeAt(i) === DASH && (i + 1 === e || src.charCodeAt(i + 1) === SPACE)) {
        throw fail;
      } else if (looksLikeKey(src, i, e)) {
        // `- key: value`: a mapping whose keys sit at the column of `key`.
        this.ind[k] = indent + (i - s);
        this.st[k] = i;
        out.push(this.map(indent + (i - s), here));
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
      return quotedValue(src, s, q);
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

/** The string value of the quoted scalar between s and q (q is just past the closing quote). */
function quotedValue(src: string, s: number, q: number): string {
  const body = src.slice(s + 1, q - 1);
  if (src.charCodeAt(s) === SQUOTE) {
    if (SQ_UNSAFE.test(body)) throw fail;
    return body.indexOf("''") < 0 ? body : body.replace(/''/g, "'");
  }
  if (body.indexOf('\\') < 0 && !DQ_SPECIAL.test(body)) return body;
  if (!JSON_SAFE_DQ.test(body)) throw fail;
  return JSON.parse(`"${body}"`) as string;
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

/* eslint-disable no-control-regex -- these patterns exist to find control characters */
// Control characters other than tab make a single-quoted scalar something for `yaml` to judge.
const SQ_UNSAFE = /[\u0000-\u0008\u000a-\u001f]/;
// A double-quoted body without these needs no unescaping.
const DQ_SPECIAL = /[\u0000-\u001f"]/;
// Escapes that mean the same in JSON and YAML double-quoted scalars.
const JSON_SAFE_DQ = /^(?:[^\\"\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*$/;
/* eslint-enable no-control-regex */
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
