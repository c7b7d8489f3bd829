/**
 * ClientHello mutations for the fuzz (part c): structure-aware where it matters (the length fields
 * and extension blocks a parser trusts), blind elsewhere. Deterministic from a seed, so a failing
 * input can be reproduced from the seed printed with it.
 */

/** A small fast PRNG (mulberry32); deterministic per seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LengthField {
  offset: number;
  size: 1 | 2 | 3;
}

export interface HelloShape {
  bytes: Buffer;
  lengths: LengthField[];
  /** [start, end) of each extension (type, length, body) in bytes. */
  extensions: [number, number][];
}

/**
 * The length fields and extensions of a well-formed single-record ClientHello (RFC 8446 §4.1.2):
 * record length, handshake length, session id, cipher suites, compression methods, extensions
 * block, each extension's length, and inside server_name and ALPN their list and name lengths.
 */
export function shapeOf(bytes: Buffer): HelloShape {
  const lengths: LengthField[] = [{ offset: 3, size: 2 }, { offset: 6, size: 3 }];
  const extensions: [number, number][] = [];
  let p = 9 + 2 + 32; // record header, handshake header, legacy_version, random
  lengths.push({ offset: p, size: 1 });
  p += 1 + bytes[p]!;
  lengths.push({ offset: p, size: 2 });
  p += 2 + bytes.readUInt16BE(p);
  lengths.push({ offset: p, size: 1 });
  p += 1 + bytes[p]!;
  if (p + 2 > bytes.length) return { bytes, lengths, extensions };
  lengths.push({ offset: p, size: 2 });
  const extEnd = p + 2 + bytes.readUInt16BE(p);
  p += 2;
  while (p + 4 <= extEnd && p + 4 <= bytes.length) {
    const type = bytes.readUInt16BE(p);
    const len = bytes.readUInt16BE(p + 2);
    lengths.push({ offset: p + 2, size: 2 });
    if (type === 0 && len >= 5) {
      lengths.push({ offset: p + 4, size: 2 }, { offset: p + 7, size: 2 }); // server_name_list, host_name
    } else if (type === 16 && len >= 3) {
      lengths.push({ offset: p + 4, size: 2 }, { offset: p + 6, size: 1 }); // protocol_name_list, first name
    }
    extensions.push([p, p + 4 + len]);
    p += 4 + len;
  }
  return { bytes, lengths, extensions };
}

function writeLen(b: Buffer, f: LengthField, v: number): void {
  if (f.offset + f.size > b.length) return;
  if (f.size === 1) b[f.offset] = v & 0xff;
  else if (f.size === 2) b.writeUInt16BE(v & 0xffff, f.offset);
  else b.writeUIntBE(v & 0xffffff, f.offset, 3);
}

function readLen(b: Buffer, f: LengthField): number {
  if (f.offset + f.size > b.length) return 0;
  return f.size === 1 ? b[f.offset]! : f.size === 2 ? b.readUInt16BE(f.offset) : b.readUIntBE(f.offset, 3);
}

export const MUTATORS = ['bit-flips', 'truncate', 'length-lie', 'extension-splice', 'extension-dup-drop', 'byte-noise', 'refragment', 'stack'] as const;
export type Mutator = (typeof MUTATORS)[number];

/** One mutant of shapes[i] (other shapes donate extensions). */
export function mutate(kind: Mutator, shapes: HelloShape[], r: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const shape = pick(shapes);
  const src = shape.bytes;
  switch (kind) {
    case 'bit-flips': {
      const b = Buffer.from(src);
      const n = 1 + Math.floor(r() * 8);
      for (let i = 0; i < n; i++) {
        const at = Math.floor(r() * b.length);
        b[at]! ^= 1 << Math.floor(r() * 8);
      }
      return b;
    }
    case 'truncate':
      return Buffer.from(src.subarray(0, Math.floor(r() * src.length)));
    case 'length-lie': {
      const b = Buffer.from(src);
      const f = pick(shape.lengths);
      const cur = readLen(b, f);
      const max = f.size === 1 ? 0xff : f.size === 2 ? 0xffff : 0xffffff;
      const lies = [0, 1, cur - 1, cur + 1, cur + 2, cur * 2, max, max - 1, Math.floor(r() * (max + 1)), 0x4000, 0x4001, 0x4800];
      writeLen(b, f, pick(lies));
      return b;
    }
    case 'extension-splice': {
      // Replace this hello's extension block tail with extensions taken from any hello.
      if (shape.extensions.length === 0) return Buffer.from(src);
      const cut = pick(shape.extensions);
      const donor = pick(shapes);
      const ext = donor.extensions.length ? pick(donor.extensions) : cut;
      const piece = donor.bytes.subarray(ext[0], ext[1]);
      const b = Buffer.concat([src.subarray(0, cut[0]), piece, src.subarray(r() < 0.5 ? cut[1] : cut[0])]);
      if (r() < 0.5) fixLengths(b, shape, b.length - src.length);
      return b;
    }
    case 'extension-dup-drop': {
      if (shape.extensions.length === 0) return Buffer.from(src);
      const e = pick(shape.extensions);
      const dup = r() < 0.5;
      const b = dup ? Buffer.concat([src.subarray(0, e[1]), src.subarray(e[0], e[1]), src.subarray(e[1])]) : Buffer.concat([src.subarray(0, e[0]), src.subarray(e[1])]);
      if (r() < 0.8) fixLengths(b, shape, b.length - src.length);
      return b;
    }
    case 'byte-noise': {
      const b = Buffer.from(src);
      const n = 1 + Math.floor(r() * 16);
      for (let i = 0; i < n; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      return b;
    }
    case 'refragment': {
      // The same handshake bytes over records of random size (sometimes zero, sometimes lying).
      const hs = src.subarray(5, 5 + src.readUInt16BE(3));
      const parts: Buffer[] = [];
      for (let i = 0; i < hs.length; ) {
        const size = Math.floor(r() * 300);
        const frag = hs.subarray(i, i + size);
        const head = Buffer.from([22, 3, 1, 0, 0]);
        head.writeUInt16BE(r() < 0.05 ? Math.floor(r() * 65536) : frag.length, 3);
        parts.push(head, frag);
        i += size === 0 ? 1 : size;
        if (parts.length > 400) break;
      }
      return Buffer.concat(parts);
    }
    case 'stack': {
      let b = mutate(pick(['bit-flips', 'length-lie', 'extension-splice', 'byte-noise'] as const), shapes, r);
      b = Buffer.from(mutate('length-lie', [shapeOf2(b, shape)], r));
      return r() < 0.3 ? b.subarray(0, Math.floor(r() * b.length)) : b;
    }
  }
}

/** After an insert/remove of delta bytes inside the extensions: fix the enclosing lengths. */
function fixLengths(b: Buffer, shape: HelloShape, delta: number): void {
  for (const f of shape.lengths.slice(0, 2)) writeLen(b, f, readLen(b, f) + delta);
  const extBlock = shape.lengths.find((f) => f.size === 2 && shape.extensions[0] && f.offset + 2 === shape.extensions[0][0]);
  if (extBlock) writeLen(b, extBlock, readLen(b, extBlock) + delta);
}

/** The shape's length fields applied to other bytes of (nearly) the same layout. */
function shapeOf2(bytes: Buffer, like: HelloShape): HelloShape {
  return { bytes, lengths: like.lengths.filter((f) => f.offset + f.size <= bytes.length), extensions: like.extensions.filter((e) => e[1] <= bytes.length) };
}
