import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { certificateInfo, createCA } from '../../../src/core/pki.js';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

test('generate tls-certificate --type client signs offline with a mesh CA, with sidecar SANs and a 0600 key', async (t) => {
  const dir = tmpDir(t);
  const ca = await createCA({ commonName: 'mesh-1', validForMs: 86_400_000 });
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  writeFileSync(join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
  const args = ['generate', 'tls-certificate', '--type', 'client', '--mesh', 'mesh-1', '--tag', 'kuma.io/service=web', '--tag', 'version=v1'];
  const files = ['--ca-cert-file', join(dir, 'ca.crt'), '--ca-key-file', join(dir, 'ca.key'), '--cert-file', join(dir, 'web.crt'), '--key-file', join(dir, 'web.key'), '--ca-cert-file-out', join(dir, 'mesh-ca.crt')];
  const res = await runCli([...args, ...files, '--json']);
  assert.equal(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout) as { uris: string[]; certFile: string };
  assert.deepEqual(out.uris, ['spiffe://mesh-1/web', 'kuma://kuma.io/service/web', 'kuma://version/v1']);
  assert.deepEqual(certificateInfo(readFileSync(join(dir, 'web.crt'), 'utf8')).uris, out.uris);
  assert.equal(statSync(join(dir, 'web.key')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dir, 'mesh-ca.crt'), 'utf8'), ca.certPem);

  const noService = await runCli(['generate', 'tls-certificate', '--type', 'client', '--mesh', 'mesh-1', '--tag', 'version=v1', ...files]);
  assert.equal(noService.code, 2);
  assert.match(noService.stderr, /a kuma.io\/service tag is required: pass --tag kuma.io\/service=NAME/);
  const badTag = await runCli(['generate', 'tls-certificate', '--type', 'client', '--mesh', 'mesh-1', '--tag', 'web', ...files]);
  assert.match(badTag.stderr, /--tag "web" is not k=v/);
});

test('generate tls-certificate --key-file over an existing world-readable file leaves it 0600', async (t) => {
  const dir = tmpDir(t);
  const ca = await createCA({ commonName: 'mesh-1', validForMs: 86_400_000 });
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  writeFileSync(join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'web.key'), 'old key\n', { mode: 0o644 });
  const res = await runCli(['generate', 'tls-certificate', '--type', 'client', '--mesh', 'mesh-1', '--tag', 'kuma.io/service=web', '--ca-cert-file', join(dir, 'ca.crt'), '--ca-key-file', join(dir, 'ca.key'), '--cert-file', join(dir, 'web.crt'), '--key-file', join(dir, 'web.key')]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(readFileSync(join(dir, 'web.key'), 'utf8'), /PRIVATE KEY/);
  assert.equal(statSync(join(dir, 'web.key')).mode & 0o777, 0o600);
});
