/**
 * TLS ClientHello parser: a pure function over the bytes a connection has sent so far. It never
 * throws and never consumes anything; the socket code keeps the bytes and replays them upstream.
 *
 * Layers (RFC 8446 §5.1, RFC 5246 §6.2.1): TLSPlaintext records (type, legacy version, length,
 * fragment) carry the Handshake message (RFC 8446 §4: msg_type, uint24 length, body); a handshake
 * message may be fragmented over several records, and a record may arrive over several reads.
 */

/** Most bytes we buffer while waiting for a whole ClientHello (record headers included). */
export const MAX_CLIENT_HELLO_BYTES = 16 * 1024;

export type ClientHelloFailure = 'not-tls' | 'need-more' | 'malformed' | 'too-large';

export interface ClientHello {
  ok: true;
  /** RFC 6066 §3 host_name, undefined when the client sent no server_name extension. */
  sni: string | undefined;
  /** ALPN protocol names (RFC 7301 §3.1), empty when absent. */
  alpn: string[];
  /** Offset just past the last record that carried the ClientHello. */
  end: number;
}

export type ClientHelloResult = ClientHello | { ok: false; reason: ClientHelloFailure };

const CONTENT_HANDSHAKE = 22; // RFC 8446 §5.1 ContentType.handshake
const HS_CLIENT_HELLO = 1; // RFC 8446 §4 HandshakeType.client_hello
const EXT_SERVER_NAME = 0; // RFC 6066 §3
const EXT_ALPN = 16; // RFC 7301 §3.1
const NAME_TYPE_HOST = 0; // RFC 6066 §3 NameType.host_name
const MAX_RECORD = 16384 + 2048; // RFC 5246 §6.2.3: TLSCiphertext bound; plaintext is 2^14

const fail = (reason: ClientHelloFailure): ClientHelloResult => ({ ok: false, reason });

/**
 * Parses the ClientHello at the start of `buf`. `need-more` means "a valid prefix so far"; the
 * caller reads more and calls again with all bytes (the parse restarts; a hello is small).
 */
export function parseClientHello(buf: Uint8Array): ClientHelloResult {
  if (buf.length === 0) return fail('need-more');
  if (buf[0] !== CONTENT_HANDSHAKE) return fail('not-tls');
  // legacy_record_version is 0x0301..0x0303 in practice; major 3 is the TLS signature.
  if (buf.length >= 2 && buf[1] !== 3) return fail('not-tls');

  // The common case: the whole message in the first record, all of it read. Parsed in place (no
  // copies or views); anything else takes the general path below, which gives the same answers.
  if (buf.length >= 9 && buf[5] === HS_CLIENT_HELLO) {
    const recLen = (buf[3] << 8) | buf[4];
    const hsLength = 4 + ((buf[6] << 16) | (buf[7] << 8) | buf[8]);
    if (buf[0] === CONTENT_HANDSHAKE && recLen <= MAX_RECORD && 5 + recLen <= MAX_CLIENT_HELLO_BYTES && hsLength <= recLen && 5 + hsLength <= buf.length) {
      const body = parseBody(new Reader(buf, 9, 5 + hsLength));
      if (!body) return fail('malformed');
      return { ok: true, sni: body.sni, alpn: body.alpn, end: Math.min(5 + recLen, buf.length) };
    }
  }
  // Reassemble the handshake fragments of consecutive handshake records (RFC 8446 §5.1: "Handshake
  // messages MAY be coalesced into a single TLSPlaintext record or fragmented across several").
  const fragments: Uint8Array[] = [];
  let hsBytes = 0;
  let hsLength = -1; // total handshake message length incl. its 4-byte header, once known
  let off = 0;
  let end = 0;
  for (;;) {
    if (off + 5 > buf.length) return buf.length >= MAX_CLIENT_HELLO_BYTES ? fail('too-large') : fail('need-more');
    if (buf[off] !== CONTENT_HANDSHAKE) return fail('malformed');
    if (buf[off + 1] !== 3) return fail('malformed');
    const recLen = (buf[off + 3] << 8) | buf[off + 4];
    // RFC 8446 §5.1: zero-length handshake fragments MUST NOT be sent; 2^14 is the plaintext cap.
    if (recLen === 0 || recLen > MAX_RECORD) return fail('malformed');
    const recEnd = off + 5 + recLen;
    if (recEnd > MAX_CLIENT_HELLO_BYTES) return fail('too-large');
    const available = Math.min(recEnd, buf.length) - (off + 5);
    // Only take what this message still needs; the rest of the record would be a second message.
    fragments.push(buf.subarray(off + 5, off + 5 + available));
    hsBytes += available;
    if (hsLength < 0 && hsBytes >= 4) {
      const head = concatPrefix(fragments, 4);
      if (head[0] !== HS_CLIENT_HELLO) return fail('malformed');
      hsLength = 4 + ((head[1] << 16) | (head[2] << 8) | head[3]);
      if (hsLength > MAX_CLIENT_HELLO_BYTES) return fail('too-large');
    }
    if (recEnd > buf.length) {
      end = buf.length;
      if (hsLength >= 0 && hsBytes >= hsLength) break; // message complete; trailing record bytes are not ours to judge
      return fail('need-more');
    }
    off = end = recEnd;
    if (hsLength >= 0 && hsBytes >= hsLength) break;
  }
  const msg = concatPrefix(fragments, hsLength);
  const body = parseBody(new Reader(msg, 4, hsLength));
  if (!body) return fail('malformed');
  return { ok: true, sni: body.sni, alpn: body.alpn, end };
}

function concatPrefix(parts: Uint8Array[], n: number): Uint8Array {
  if (parts[0].length >= n) return parts[0].subarray(0, n);
  return Buffer.concat(parts).subarray(0, n);
}

/** A bounds-checked big-endian reader; every read returns -1 / undefined past the end. */
class Reader {
  constructor(
    private readonly b: Uint8Array,
    public pos = 0,
    private readonly limit = b.length,
  ) {}
  get left(): number {
    return this.limit - this.pos;
  }
  u8(): number {
    return this.pos + 1 <= this.limit ? this.b[this.pos++] : -1;
  }
  u16(): number {
    if (this.pos + 2 > this.limit) return -1;
    const v = (this.b[this.pos] << 8) | this.b[this.pos + 1];
    this.pos += 2;
    return v;
  }
  /** Skips the next n bytes; false when fewer are left. */
  skip(n: number): boolean {
    if (n < 0 || this.pos + n > this.limit) return false;
    this.pos += n;
    return true;
  }
  /** A sub-reader over the next n bytes (a TLS `opaque x<..>` vector), or undefined. */
  take(n: number): Reader | undefined {
    if (n < 0 || this.pos + n > this.limit) return undefined;
    const r = new Reader(this.b, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
  bytes(): Uint8Array {
    return this.b.subarray(this.pos, this.limit);
  }
}

/**
 * The extension types seen in the hello being parsed, one bit per type (RFC 8446 §4.2 forbids
 * repeats). Module-wide and cleared after each parse (parsing is synchronous): no Set per hello.
 */
const seenBits = new Uint32Array(65536 / 32);
const seenTypes: number[] = [];

/** RFC 8446 §4.1.2 ClientHello (and RFC 5246 §7.4.1.2, where extensions may be absent). */
function parseBody(r: Reader): { sni: string | undefined; alpn: string[] } | undefined {
  if (r.u16() < 0) return undefined; // legacy_version
  if (!r.skip(32)) return undefined; // random
  const sidLen = r.u8();
  if (sidLen < 0 || sidLen > 32 || !r.skip(sidLen)) return undefined; // legacy_session_id<0..32>
  const csLen = r.u16();
  if (csLen < 2 || csLen % 2 !== 0 || !r.skip(csLen)) return undefined; // cipher_suites<2..2^16-2>
  const cmLen = r.u8();
  if (cmLen < 1 || !r.skip(cmLen)) return undefined; // legacy_compression_methods<1..2^8-1>
  if (r.left === 0) return { sni: undefined, alpn: [] }; // TLS 1.2 without extensions
  const extLen = r.u16();
  const exts = r.take(extLen);
  if (!exts || r.left !== 0) return undefined;
  try {
    return parseExtensions(exts);
  } finally {
    for (const t of seenTypes) seenBits[t >>> 5] = 0;
    seenTypes.length = 0;
  }
}

function parseExtensions(exts: Reader): { sni: string | undefined; alpn: string[] } | undefined {
  let sni: string | undefined;
  let alpn: string[] = [];
  while (exts.left > 0) {
    const type = exts.u16();
    const len = exts.u16();
    if (type < 0 || len < 0) return undefined;
    // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type".
    const bit = 1 << (type & 31);
    if (seenBits[type >>> 5] & bit) return undefined;
    seenBits[type >>> 5] |= bit;
    seenTypes.push(type);
    if (type === EXT_SERVER_NAME || type === EXT_ALPN) {
      const data = exts.take(len);
      if (!data) return undefined;
      if (type === EXT_SERVER_NAME) {
        const name = parseServerName(data);
        if (name === null) return undefined;
        sni = name;
      } else {
        const list = parseAlpn(data);
        if (!list) return undefined;
        alpn = list;
      }
    } else if (!exts.skip(len)) return undefined;
  }
  return { sni, alpn };
}

/**
 * RFC 6066 §3: `ServerName server_name_list<1..2^16-1>`, each `NameType name_type; opaque
 * HostName<1..2^16-1>`. Only host_name (0) is defined; the list "MUST NOT contain more than one
 * name of the same name_type". An empty extension_data is what a *server* sends, never a client.
 * Returns null when malformed, undefined when no host_name entry is present.
 */
function parseServerName(r: Reader): string | undefined | null {
  const list = r.take(r.u16());
  if (!list || list.left === 0 || r.left !== 0) return null;
  let host: string | undefined;
  while (list.left > 0) {
    const nameType = list.u8();
    const name = list.take(list.u16());
    if (nameType < 0 || !name || name.left === 0) return null;
    if (nameType !== NAME_TYPE_HOST) continue; // unknown types are skippable: same length prefix
    if (host !== undefined) return null;
    const bytes = name.bytes();
    // "HostName contains the fully qualified DNS hostname of the server ... ASCII encoding".
    // Kuma's tag SNIs (`svc{mesh=m}`) use printable ASCII beyond DNS letters, so accept 0x21-0x7e.
    for (let i = 0; i < bytes.length; i++) if (bytes[i] < 0x21 || bytes[i] > 0x7e) return null;
    host = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  }
  return host;
}

/** RFC 7301 §3.1: `ProtocolName protocol_name_list<2..2^16-1>`, names `opaque<1..2^8-1>`. */
function parseAlpn(r: Reader): string[] | undefined {
  const list = r.take(r.u16());
  if (!list || list.left < 2 || r.left !== 0) return undefined;
  const out: string[] = [];
  while (list.left > 0) {
    const n = list.take(list.u8());
    if (!n || n.left === 0) return undefined;
    const b = n.bytes();
    out.push(Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1'));
  }
  return out;
}
