/**
 * The dp-server's certificate files kept in <data-dir>/dp-server/: a damaged file is named, with
 * what is wrong and what to do, instead of OpenSSL's bare `DECODER routines::unsupported`.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureDpServerTls } from '../../../src/control-plane/dp-server/tls.js';
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
