/**
 * PEM checks shared by write-time validation (an ExternalService's inline TLS data) and the
 * control plane's snapshot generator (data from secrets and files). A certificate field must hold
 * one or more X.509 certificates and nothing else; a key field one private key. Catching garbage
 * here keeps it out of egress snapshots, where it used to get every snapshot rejected.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Why `text` is not usable as `kind`, or undefined when it is. */
export function pemProblem(text: string, kind: 'certificate' | 'private-key'): string | undefined {
  const blocks = [...text.matchAll(BLOCK)];
  if (kind === 'private-key' && !blocks.some((b) => b[1].endsWith('PRIVATE KEY'))) blocks.length = 0;
  if (blocks.length === 0) return kind === 'certificate' ? 'is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)' : 'is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block)';
  if (kind === 'private-key') {
    try {
      createPrivateKey(text);
      return undefined;
    } catch {
      return 'is not a usable PEM private key (corrupt, encrypted, or of an unsupported type)';
    }
  }
  for (const [i, b] of blocks.entries()) {
    if (b[1] !== 'CERTIFICATE') return `PEM block ${i + 1} is a ${b[1]}, not a CERTIFICATE`;
    try {
      new X509Certificate(b[0]);
    } catch {
      return `PEM block ${i + 1} is not a valid X.509 certificate`;
    }
  }
  return undefined;
}
