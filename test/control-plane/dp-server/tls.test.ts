/**
 * The dp-server's certificate files kept in <data-dir>/dp-server/: a damaged file is named, with
 * what is wrong and what to do, instead of OpenSSL's bare `DECODER routines::unsupported`.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureDpServerTls, SHARED_DP_CA_KEY } from '../../../src/control-plane/dp-server/tls.js';
import { createMemoryStore } from '../../../src/control-plane/store/memory.js';
import { UnavailableError, UsageError } from '../../../src/core/errors.js';
import { tmpDir } from '../../helpers/tmp.js';

test('dp-server TLS: kept files are reused; a damaged one is refused naming the file, the fault and the fix', async (t) => {
  const dataDir = tmpDir(t);
  const dir = join(dataDir, 'dp-server');
  const first = await ensureDpServerTls(dataDir);
  const again = await ensureDpServerTls(dataDir);
  assert.equal(again.certPem, first.certPem, 'a sound kept certificate is reused');
  const good = Object.fromEntries(['ca.crt', 'ca.key', 'server.crt', 'server.key'].map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  const restore = () => Object.entries(good).forEach(([f, text]) => writeFileSync(join(dir, f), text));
  const leafFix = `delete ${dir}/server.crt and ${dir}/server.key: the next start issues new ones from ${dir}/ca.crt, which egresses already trust`;
  const caFix = `restore it from a backup, or delete ${dir} to have a new CA created at the next start (egresses must then trust the new ${dir}/ca.crt)`;
  const cases: [string, string, string][] = [
    ['server.key', 'garbage\n', `${dir}/server.key is not a PEM private key (error:1E08010C:DECODER routines::unsupported): ${leafFix}`],
    ['server.crt', 'garbage\n', `${dir}/server.crt is not a PEM certificate (error:0480006C:PEM routines::no start line): ${leafFix}`],
    ['server.key', good['ca.key'], `${dir}/server.key is not the private key of ${dir}/server.crt: ${leafFix}`],
    ['ca.key', 'garbage\n', `${dir}/ca.key is not a PEM private key (error:1E08010C:DECODER routines::unsupported): ${caFix}`],
    ['ca.crt', good['server.crt'], `${dir}/ca.key is not the private key of ${dir}/ca.crt: ${caFix}`],
  ];
  for (const [file, text, message] of cases) {
    restore();
    writeFileSync(join(dir, file), text);
    await assert.rejects(ensureDpServerTls(dataDir), (err: unknown) => err instanceof UnavailableError && err.message === message, file);
  }
  restore();
  const junk = join(dataDir, 'junk.pem');
  writeFileSync(junk, 'garbage\n');
  await assert.rejects(
    ensureDpServerTls(dataDir, [], { certFile: join(dir, 'ca.crt'), keyFile: junk }),
    (err: unknown) => err instanceof UsageError && err.message === `--dp-server-ca-key: ${junk} is not a PEM private key (error:1E08010C:DECODER routines::unsupported): give the PEM file of the CA's private key`,
  );
});

test('dp-server TLS with a shared store: the first instance shares its CA, the others take it (no copying of dp-server/)', async (t) => {
  const store = createMemoryStore();
  const [a, b] = [tmpDir(t), tmpDir(t)];
  // An instance that ran alone before: egresses already trust the CA in its data dir.
  const before = await ensureDpServerTls(a);
  const first = await ensureDpServerTls(a, [], undefined, store);
  assert.equal(first.caPem, before.caPem, 'the first instance shares the CA its egresses already trust');
  const second = await ensureDpServerTls(b, ['cp-2.example'], undefined, store);
  assert.equal(second.caPem, first.caPem);
  assert.equal(readFileSync(join(b, 'dp-server', 'ca.crt'), 'utf8'), first.caPem);
  assert.equal(statSync(join(b, 'dp-server', 'ca.key')).mode & 0o777, 0o600, 'the CA key is written for the owner only');
  assert.ok(new X509Certificate(second.certPem).verify(new X509Certificate(first.caPem as string).publicKey), "the second instance's certificate is issued by the shared CA");
  // An instance whose data dir has another CA takes the shared one and reissues its certificate.
  const c = tmpDir(t);
  const own = await ensureDpServerTls(c);
  const third = await ensureDpServerTls(c, [], undefined, store);
  assert.notEqual(own.caPem, first.caPem);
  assert.equal(third.caPem, first.caPem);
  assert.ok(new X509Certificate(third.certPem).verify(new X509Certificate(first.caPem as string).publicKey));
  // A damaged record in the store is named, with the fix.
  await store.update({ ...(await store.get(SHARED_DP_CA_KEY)).resource, certPem: 'garbage' });
  await assert.rejects(
    ensureDpServerTls(tmpDir(t), [], undefined, store),
    (err: unknown) => err instanceof UnavailableError && /^the dp-server CA certificate kept in the store is not a PEM certificate \(.*\): delete the store's DpServerCA record to have this instance's CA shared at its next start/.test(err.message),
  );
});
