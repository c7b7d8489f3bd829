/**
 * The revocation list: the global secret `zone-token-revocations`, whose data (base64 on the
 * wire, like every secret) is a comma-separated list of revoked jti values, as in Kuma.
 */

/** Parses the secret's decoded data; tolerates the trailing newline `echo` leaves and stray spaces. */
export function parseRevocations(data: string): Set<string> {
  return new Set(
    data
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}

/** The data after adding `jti`; unchanged (same order) when it is already revoked. */
export function addRevocation(data: string, jti: string): { data: string; added: boolean } {
  const ids = [...parseRevocations(data)];
  if (ids.includes(jti)) return { data: ids.join(','), added: false };
  return { data: [...ids, jti].join(','), added: true };
}

/** A jti is a UUID in Kuma and zonectl tokens; refuse text that would corrupt the list. */
export function isValidJti(jti: string): boolean {
  return /^[A-Za-z0-9._:-]{1,128}$/.test(jti);
}
