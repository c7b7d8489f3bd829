/**
 * The dp-server's certificate. Unless the operator gives one, the control plane keeps its CA and
 * server certificate in `<data-dir>/dp-server/` (created on first start, reused after), so an
 * egress can pin it with `zonectl dp run --ca-cert-file <data-dir>/dp-server/ca.crt`. The CA is
 * also kept in the store, shared by every instance of a PostgreSQL store.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { NotFoundError, UnavailableError, UsageError } from '../../core/errors.js';
import { certificateInfo, createCA, issueCertificate } from '../../core/pki.js';
import type { Resource } from '../../resources/types.js';
import type { Store } from '../store/types.js';

export interface DpServerTls {
  certPem: string;
  keyPem: string;
  /** The CA egresses should trust; undefined when the operator gave the certificate. */
  caPem?: string;
  caCertFile?: string;
}

const TEN_YEARS = 10 * 365 * 86_400_000;
const ONE_YEAR = 365 * 86_400_000;

export function dpServerTlsDir(dataDir: string): string {
  return join(dataDir, 'dp-server');
}

/** Path of the CA certificate egresses trust (`--ca-cert-file`). */
export function dpServerCaCertFile(dataDir: string): string {
  return join(dpServerTlsDir(dataDir), 'ca.crt');
}

function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/**
 * Loads or creates the CA and server certificate. The server certificate names localhost,
 * 127.0.0.1, ::1, this host and `extraNames`; it is reissued when it expires within 30 days or
 * lacks one of the names, or was issued by another CA.
 *
 * With `store` (the control plane's), the CA is the one kept in the store, so every instance
 * sharing it (PostgreSQL) serves a certificate from one CA and one `--ca-cert-file` lets egresses
 * trust them all: the first instance puts its CA there (the one in its data dir if it has one,
 * which egresses already trust, else a new one), the others copy it into their data dirs.
 */
export async function ensureDpServerTls(dataDir: string | undefined, extraNames: string[] = [], givenCa?: { certFile: string; keyFile: string }, store?: Store): Promise<DpServerTls> {
  const dir = dataDir === undefined ? undefined : dpServerTlsDir(dataDir);
  if (store && dir !== undefined && !givenCa) await shareCa(store, dir, 'zonectl dp-server');
  return ensureServerTls(dir, 'zonectl dp-server', extraNames, givenCa);
}

/**
 * The store record of the shared dp-server CA: an internal type, outside the kind registry, so it
 * has no API route and multizone sync never sends it (a GlobalSecret would go to every zone).
 */
export const SHARED_DP_CA_KEY = { type: 'DpServerCA', name: 'default' };

/**
 * Makes `dir`'s CA the store's: under the store's lock (exclusive across instances), the CA in
 * the store is written to `dir`, or, if the store has none yet, `dir`'s CA (created if missing)
 * goes into the store. The private key is written with mode 0600 and never logged.
 */
async function shareCa(store: Store, dir: string, commonName: string): Promise<void> {
  await store.withLock('dp-server-ca', async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const caCertFile = join(dir, 'ca.crt');
    const caKeyFile = join(dir, 'ca.key');
    let shared: Resource | undefined;
    try {
      shared = (await store.get(SHARED_DP_CA_KEY)).resource;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (shared) {
      const [certPem, keyPem] = [String(shared.certPem ?? ''), String(shared.keyPem ?? '')];
      const fix = `delete the store's ${SHARED_DP_CA_KEY.type} record to have this instance's CA shared at its next start (egresses must then trust ${caCertFile})`;
      const badCert = pemProblem(certPem, 'certificate');
      if (badCert) throw new UnavailableError(`the dp-server CA certificate kept in the store is not a PEM certificate (${badCert}): ${fix}`);
      if (pemProblem(keyPem, 'private key')) throw new UnavailableError(`the dp-server CA key kept in the store is not a PEM private key: ${fix}`);
      const same = existsSync(caCertFile) && existsSync(caKeyFile) && readFileSync(caCertFile, 'utf8') === certPem && readFileSync(caKeyFile, 'utf8') === keyPem;
      if (!same) {
        writeAtomic(caKeyFile, keyPem, 0o600);
        writeAtomic(caCertFile, certPem, 0o644);
      }
      return;
    }
    let ca: { certPem: string; keyPem: string };
    if (existsSync(caCertFile) && existsSync(caKeyFile)) {
      ca = keptPair(caCertFile, caKeyFile, `restore it from a backup, or delete ${dir} to have a new CA created at the next start (egresses must then trust the new ${caCertFile})`);
    } else {
      ca = await createCA({ commonName: `${commonName} CA`, validForMs: TEN_YEARS });
      writeAtomic(caKeyFile, ca.keyPem, 0o600);
      writeAtomic(caCertFile, ca.certPem, 0o644);
    }
    await store.create({ ...SHARED_DP_CA_KEY, certPem: ca.certPem, keyPem: ca.keyPem });
  });
}

/**
 * The same set-up for any HTTPS server of the control plane that remote peers pin (the dp-server,
 * the global's KDS server): a CA and a server certificate kept in `dir`. `givenCa`: issue the
 * server certificate from this CA (PEM files) instead of one kept in `dir`.
 */
export async function ensureServerTls(dir: string | undefined, commonName: string, extraNames: string[] = [], givenCa?: { certFile: string; keyFile: string }): Promise<DpServerTls> {
  if (dir === undefined) return inMemoryServerTls(commonName, extraNames, givenCa);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caCertFile = givenCa?.certFile ?? join(dir, 'ca.crt');
  const caKeyFile = givenCa?.keyFile ?? join(dir, 'ca.key');
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  let ca: { certPem: string; keyPem: string };
  if (givenCa) {
    ca = { certPem: readPem(givenCa.certFile, '--dp-server-ca-cert'), keyPem: readPem(givenCa.keyFile, '--dp-server-ca-key') };
  } else if (existsSync(caCertFile) && existsSync(caKeyFile)) {
    const fix = `restore it from a backup, or delete ${dir} to have a new CA created at the next start (egresses must then trust the new ${caCertFile})`;
    ca = keptPair(caCertFile, caKeyFile, fix);
  } else {
    ca = await createCA({ commonName: `${commonName} CA`, validForMs: TEN_YEARS });
    writeAtomic(caKeyFile, ca.keyPem, 0o600);
    writeAtomic(caCertFile, ca.certPem, 0o644);
  }
  const ips = ['127.0.0.1', '::1', ...extraNames.filter((n) => /^[\d.]+$|:/.test(n))];
  const dns = [...new Set(['localhost', hostname(), ...extraNames.filter((n) => !/^[\d.]+$|:/.test(n))])];
  if (existsSync(certFile) && existsSync(keyFile)) {
    const { certPem, keyPem } = keptPair(certFile, keyFile, `delete ${certFile} and ${keyFile}: the next start issues new ones from ${caCertFile}, which egresses already trust`);
    const info = certificateInfo(certPem);
    const fresh = info.notAfter.getTime() - Date.now() > 30 * 86_400_000;
    if (fresh && dns.every((d) => info.dnsNames.includes(d)) && issuedBy(certPem, ca.certPem)) return { certPem, keyPem, caPem: ca.certPem, caCertFile };
  }
  const leaf = await issueCertificate({ ca, commonName, dnsNames: dns, ipAddresses: ips, usage: 'server', validForMs: ONE_YEAR });
  writeAtomic(keyFile, leaf.keyPem, 0o600);
  writeAtomic(certFile, leaf.certPem, 0o644);
  return { ...leaf, caPem: ca.certPem, caCertFile };
}

function readPem(path: string, flag: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const kind = flag.endsWith('-key') ? 'private key' : 'certificate';
  const wrong = pemProblem(pem, kind);
  if (wrong) throw new UsageError(`${flag}: ${path} is not a PEM ${kind} (${wrong}): give the PEM file of the CA's ${kind}`);
  return pem;
}

/** Why `pem` is not a usable certificate or private key (OpenSSL's words), or undefined when it is. */
function pemProblem(pem: string, kind: 'certificate' | 'private key'): string | undefined {
  try {
    if (kind === 'certificate') new X509Certificate(pem);
    else createPrivateKey(pem);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * A certificate and its key kept in the data directory. A damaged file would otherwise surface as
 * OpenSSL's bare `DECODER routines::unsupported` when the server starts, naming no file.
 */
function keptPair(certFile: string, keyFile: string, fix: string): { certPem: string; keyPem: string } {
  const certPem = readFileSync(certFile, 'utf8');
  const keyPem = readFileSync(keyFile, 'utf8');
  const badCert = pemProblem(certPem, 'certificate');
  if (badCert) throw new UnavailableError(`${certFile} is not a PEM certificate (${badCert}): ${fix}`);
  const badKey = pemProblem(keyPem, 'private key');
  if (badKey) throw new UnavailableError(`${keyFile} is not a PEM private key (${badKey}): ${fix}`);
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!spki(new X509Certificate(certPem).publicKey).equals(spki(createPublicKey(keyPem)))) {
    throw new UnavailableError(`${keyFile} is not the private key of ${certFile}: ${fix}`);
  }
  return { certPem, keyPem };
}

/** Whether `certPem` was signed by the CA `caPem` (a kept server certificate of another CA is reissued). */
function issuedBy(certPem: string, caPem: string): boolean {
  try {
    return new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}

/** A CA and certificate that live only in this process (no data directory): nothing touches disk. */
async function inMemoryServerTls(commonName: string, extraNames: string[], givenCa?: { certFile: string; keyFile: string }): Promise<DpServerTls> {
  const ca = givenCa
    ? { certPem: readPem(givenCa.certFile, '--dp-server-ca-cert'), keyPem: readPem(givenCa.keyFile, '--dp-server-ca-key') }
    : await createCA({ commonName: `${commonName} CA`, validForMs: TEN_YEARS });
  const ips = ['127.0.0.1', '::1', ...extraNames.filter((n) => /^[\d.]+$|:/.test(n))];
  const dns = [...new Set(['localhost', hostname(), ...extraNames.filter((n) => !/^[\d.]+$|:/.test(n))])];
  const leaf = await issueCertificate({ ca, commonName, dnsNames: dns, ipAddresses: ips, usage: 'server', validForMs: ONE_YEAR });
  return { ...leaf, caPem: ca.certPem, caCertFile: givenCa?.certFile };
}
