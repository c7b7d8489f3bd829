/**
 * Field paths of violations: `networking.port`, `mtls.backends[0].name`, `tags["kuma.io/service"]`.
 * One syntax for the schema errors, the semantic rules and the position lookup.
 */

/** Appends one path segment: an index, a plain identifier, or a quoted key. */
export function joinField(base: string, seg: string | number): string {
  if (typeof seg === 'number' || /^\d+$/.test(seg)) return `${base}[${seg}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) return base === '' ? seg : `${base}.${seg}`;
  return `${base}[${JSON.stringify(seg)}]`;
}

/** `mtls.backends[0].name` -> ['mtls', 'backends', 0, 'name']; `tags["kuma.io/service"]` -> ['tags', 'kuma.io/service']. */
export function parseFieldPath(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(field)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3]) as string);
  }
  return out;
}
