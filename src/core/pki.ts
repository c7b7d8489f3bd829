/**
 * X.509 helpers: mesh CAs, identity certificates (SPIFFE URI SANs), self-signed API certificates.
 * Node's crypto can verify but not create certificates, so this wraps @peculiar/x509 over
 * WebCrypto. Keys are ECDSA P-256 unless RSA is asked for (a builtin CA's `conf.caCert.RSAbits`).
 * Private keys come out as PKCS#8 PEM, which node:tls accepts; write them with mode 0600.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, X509Certificate, createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';

// @peculiar/x509 types its provider with DOM's Crypto; Node's webcrypto is the same API.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export type KeySpec = { kind: 'ecdsa' } | { kind: 'rsa'; bits: number };

const EC: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

function rsa(bits: number): webcrypto.RsaHashedKeyGenParams {
  return { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
}

async function generateKeys(spec: KeySpec): Promise<CryptoKeyPair> {
  const alg = spec.kind === 'rsa' ? rsa(spec.bits) : EC;
  return (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function toPkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

/** Imports a PEM private key (PKCS#1, PKCS#8 or SEC1) for signing, with the algorithm it needs. */
async function importSigningKey(keyPem: string): Promise<{ key: CryptoKey; alg: Algorithm }> {
  const ko: KeyObject = createPrivateKey(keyPem);
  const der = ko.export({ type: 'pkcs8', format: 'der' });
  const alg: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams =
    ko.asymmetricKeyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' };
  const key = await webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']);
  const signAlg = ko.asymmetricKeyType === 'rsa' ? alg : EC;
  return { key, alg: signAlg };
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive INTEGER (RFC 5280 4.1.2.2)
  return b.toString('hex');
}

export interface CaOptions {
  commonName: string;
  key?: KeySpec;
  /**
   * Use this RSA key instead of generating one. With `serialNumber` and `notBefore` fixed too, the
   * certificate is byte-for-byte reproducible (RSA PKCS#1 v1.5 signatures are deterministic).
   */
  rsaKey?: KeyObject;
  serialNumber?: string;
  notBefore?: Date;
  validForMs: number;
}

async function importRsaPair(key: KeyObject): Promise<CryptoKeyPair> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const privateKey = await webcrypto.subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', createPublicKey(key).export({ type: 'spki', format: 'der' }), alg, true, ['verify']);
  return { privateKey, publicKey };
}

/** A self-signed CA certificate and its key. */
export async function createCA(opts: CaOptions): Promise<KeyPairPem> {
  const keys = opts.rsaKey ? await importRsaPair(opts.rsaKey) : await generateKeys(opts.key ?? { kind: 'ecdsa' });
  const isRsa = opts.rsaKey !== undefined || opts.key?.kind === 'rsa';
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: opts.serialNumber ?? serial(),
    name: [{ CN: [opts.commonName] }],
    notBefore,
    notAfter: new Date(notBefore.getTime() + opts.validForMs),
    keys,
    signingAlgorithm: isRsa ? rsa(opts.key?.kind === 'rsa' ? opts.key.bits : 2048) : EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await toPkcs8Pem(keys.privateKey) };
}

export interface LeafOptions {
  ca: KeyPairPem;
  commonName?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** URI SANs, e.g. `spiffe://mesh-1/zone-egress`. */
  uris?: string[];
  usage: 'server' | 'client' | 'both';
  notBefore?: Date;
  validForMs: number;
  key?: KeySpec;
}

/** A leaf certificate signed by `ca`. */
export async function issueCertificate(opts: LeafOptions): Promise<KeyPairPem> {
  const keys = await generateKeys(opts.key ?? { kind: 'ecdsa' });
  const caCert = new x509.X509Certificate(opts.ca.certPem);
  const { key: caKey, alg } = await importSigningKey(opts.ca.keyPem);
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const sans: x509.JsonGeneralName[] = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(opts.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const eku =
    opts.usage === 'server' ? [x509.ExtendedKeyUsage.serverAuth] : opts.usage === 'client' ? [x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [opts.commonName ?? opts.dnsNames?.[0] ?? opts.uris?.[0] ?? 'zonectl'] }],
    issuer: caCert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + opts.validForMs),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: alg,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await toPkcs8Pem(keys.privateKey) };
}

export interface CertificateInfo {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  uris: string[];
  dnsNames: string[];
}

export function certificateInfo(certPem: string): CertificateInfo {
  const c = new X509Certificate(certPem);
  const san = c.subjectAltName ?? '';
  const parts = san ? san.split(', ') : [];
  return {
    subject: c.subject,
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
    isCA: c.ca,
    uris: parts.filter((p) => p.startsWith('URI:')).map((p) => p.slice(4)),
    dnsNames: parts.filter((p) => p.startsWith('DNS:')).map((p) => p.slice(4)),
  };
}

/** True when certPem is a CA certificate whose public key matches keyPem (a `provided` CA backend's check). */
export function isCaPair(certPem: string, keyPem: string): boolean {
  try {
    const c = new X509Certificate(certPem);
    return c.ca && c.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
