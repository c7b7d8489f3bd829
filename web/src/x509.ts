/**
 * Reads notBefore/notAfter of the first certificate of a PEM bundle (RFC 5280 section 4.1.2.5),
 * enough DER to show a mesh CA's expiry without shipping an X.509 library to the browser.
 */

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function tlv(b: Uint8Array, at: number): Tlv {
  const tag = b[at];
  let len = b[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
  }
  if (start + len > b.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

function time(b: Uint8Array, t: Tlv): Date {
  const s = String.fromCharCode(...b.subarray(t.start, t.end));
  // UTCTime YYMMDDHHMMSSZ (years 1950-2049), GeneralizedTime YYYYMMDDHHMMSSZ.
  const m = t.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  if (!m) throw new Error(`unsupported time ${s}`);
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

export function certValidity(pem: string): { notBefore: Date; notAfter: Date } | undefined {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) return undefined;
  try {
    const der = Uint8Array.from(atob(m[1].replace(/\s+/g, '')), (c) => c.charCodeAt(0));
    const cert = tlv(der, 0);
    const tbs = tlv(der, cert.start);
    let at = tbs.start;
    let f = tlv(der, at);
    if (f.tag === 0xa0) f = tlv(der, (at = f.end)); // explicit version
    // serialNumber, signature, issuer, then validity.
    for (let i = 0; i < 3; i++) f = tlv(der, (at = f.end));
    const validity = f;
    const nb = tlv(der, validity.start);
    const na = tlv(der, nb.end);
    return { notBefore: time(der, nb), notAfter: time(der, na) };
  } catch {
    return undefined;
  }
}
