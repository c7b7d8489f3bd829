/**
 * Certificates for the HTTPS API port: the operator's (`--api-tls-cert/--api-tls-key`), or with
 * `--api-tls-auto` a self-signed CA and a server certificate kept in <data-dir>/api-tls/ (made
 * once, reused after; clients trust ca.crt). Keys are written with mode 0600.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { createCA, issueCertificate, type KeyPairPem } from '../../core/pki.js';

const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
  /** The CA of an auto-generated certificate (what clients should trust). */
  caFile?: string;
}

export function readTlsFiles(certFile: string, keyFile: string): TlsMaterial {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the API TLS ${what} ${file}: ${(err as Error).message}`);
    }
  };
  return { certPem: read(certFile, 'certificate'), keyPem: read(keyFile, 'key') };
}

export async function autoTls(dataDir: string | undefined, apiAddress: string): Promise<TlsMaterial> {
  if (dataDir === undefined) throw new UsageError('--api-tls-auto keeps its CA in <data-dir>/api-tls/: give --data-dir (or --api-tls-cert/--api-tls-key)');
  const dir = join(dataDir, 'api-tls');
  const files = { caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
  if (existsSync(files.cert) && existsSync(files.key) && existsSync(files.caCert)) {
    return { certPem: readFileSync(files.cert, 'utf8'), keyPem: readFileSync(files.key, 'utf8'), caFile: files.caCert };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca: KeyPairPem = await createCA({ commonName: 'zonectl control-plane API CA', validForMs: 10 * YEAR_MS });
  const ips = ['127.0.0.1', '::1'];
  if (isIP(apiAddress) && apiAddress !== '0.0.0.0' && apiAddress !== '::' && !ips.includes(apiAddress)) ips.push(apiAddress);
  const dns = ['localhost'];
  if (!isIP(apiAddress) && apiAddress !== 'localhost') dns.push(apiAddress);
  const leaf = await issueCertificate({ ca, commonName: 'zonectl-control-plane', dnsNames: dns, ipAddresses: ips, usage: 'server', validForMs: YEAR_MS });
  writeFileSync(files.caKey, ca.keyPem, { mode: 0o600 });
  writeFileSync(files.caCert, ca.certPem);
  writeFileSync(files.key, leaf.keyPem, { mode: 0o600 });
  writeFileSync(files.cert, leaf.certPem);
  return { ...leaf, caFile: files.caCert };
}
