/**
 * The credentials `zonectl install control-plane` renders into Secrets, made without a cluster:
 * the zone-token signing key (created, or read from --signing-key-path), the egress's zone token
 * minted offline with it, and the dp-server CA.
 *
 * Reproducible: with --signing-key-path (and --issued-at, the one input that is a time), every
 * byte is a function of the inputs: the CA's RSA key is derived from the signing key, its serial
 * and the token's jti are hashes of the inputs, and RSA PKCS#1 v1.5 signatures are deterministic.
 */
import { createHash } from 'node:crypto';
import { fixedClock } from '../../core/clock.js';
import { deriveRsaKey } from '../../core/derived-rsa.js';
import { createCA } from '../../core/pki.js';
import { INSTALL_SIGNING_KEY_KID, type InstallCredentials } from '../../install/common.js';
import { generateSigningKeyPem, issueZoneTokenOffline, parsePrivateKey, publicKeyPem, readKeyFile } from '../../tokens/index.js';

const TEN_YEARS_MS = 10 * 365 * 86_400_000;

export interface CredentialOptions {
  signingKeyPath?: string;
  zone: string;
  /** Mint the egress token (the egress is enabled). */
  egress: boolean;
  tokenValidForMs: number;
  issuedAt: Date;
}

export async function installCredentials(opts: CredentialOptions): Promise<InstallCredentials> {
  const signingKeyPem = opts.signingKeyPath ? (await readKeyFile(opts.signingKeyPath, '--signing-key-path')).toString('utf8') : await generateSigningKeyPem();
  const key = parsePrivateKey(signingKeyPem, opts.signingKeyPath ? `signing key file ${opts.signingKeyPath}` : 'the generated signing key');
  const seed = createHash('sha256').update(key.export({ type: 'pkcs1', format: 'der' })).digest();
  const hash = (label: string) => createHash('sha256').update(seed).update(`\0${label}\0${opts.zone}\0${opts.issuedAt.toISOString()}`).digest('hex');
  const serial = hash('dp-server-ca-serial').slice(0, 32).replace(/^./, (c) => (parseInt(c, 16) & 7).toString(16));
  const ca = await createCA({
    commonName: 'zonectl dp-server CA',
    rsaKey: deriveRsaKey(seed, 'zonectl dp-server CA'),
    serialNumber: serial,
    notBefore: opts.issuedAt,
    validForMs: TEN_YEARS_MS,
  });
  const creds: InstallCredentials = {
    signingKeyPem,
    signingPublicKeyPem: publicKeyPem(key, 'pkcs1'),
    dpServerCaCertPem: ca.certPem,
    dpServerCaKeyPem: ca.keyPem,
  };
  if (opts.egress) {
    const h = hash('egress-token-jti');
    const jti = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    creds.egressToken = await issueZoneTokenOffline({ zone: opts.zone, scope: ['egress'], validForMs: opts.tokenValidForMs }, signingKeyPem, INSTALL_SIGNING_KEY_KID, {
      clock: fixedClock(opts.issuedAt.toISOString()),
      jti,
      what: 'the signing key',
    });
  }
  return creds;
}
