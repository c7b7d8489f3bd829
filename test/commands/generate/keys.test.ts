import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fixture } from '../../tokens/helpers.js';

const KUMA_KEY = fileURLToPath(new URL('../../tokens/fixtures/samplekey.pem', import.meta.url));

describe('zonectl generate signing-key / public-key', () => {
  test('signing-key prints a new RSA 2048 PKCS#1 key, base64 of PEM by default (ready for a secret)', async (t) => {
    const b64 = await runCli(['generate', 'signing-key']);
    assert.equal(b64.code, 0, b64.stderr);
    const pem = Buffer.from(b64.stdout, 'base64').toString();
    assert.match(pem, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+-----END RSA PRIVATE KEY-----\n$/);
    // Its public key comes out of the other command: the two fit together.
    const file = join(tmpDir(t), 'key.pem');
    writeFileSync(file, b64.stdout, { mode: 0o600 });
    const pub = await runCli(['generate', 'public-key', '--signing-key-path', file]);
    assert.equal(pub.code, 0, pub.stderr);
    assert.match(pub.stdout, /^-----BEGIN RSA PUBLIC KEY-----\n/);
    const raw = await runCli(['generate', 'signing-key', '--format', 'pem']);
    assert.match(raw.stdout, /^-----BEGIN RSA PRIVATE KEY-----\n/);
  });

  test("public-key of Kuma's test key is exactly Kuma's public key, PKCS#1 and PKIX", async () => {
    const pkcs1 = await runCli(['generate', 'public-key', '--signing-key-path', KUMA_KEY]);
    assert.equal(pkcs1.stdout, fixture('publickey.pem'));
    const pkix = await runCli(['generate', 'public-key', '--signing-key-path', KUMA_KEY, '--format', 'pkix']);
    assert.equal(pkix.stdout, fixture('publickey-pkix.pem'));
  });

  test('public-key of a file that is not a private key says so (exit 3)', async () => {
    const pub = fileURLToPath(new URL('../../tokens/fixtures/publickey.pem', import.meta.url));
    const res = await runCli(['generate', 'public-key', '--signing-key-path', pub]);
    assert.equal(res.code, 3);
    assert.equal(res.stderr.trim(), `Error: signing key file ${pub} is not an RSA private key in PEM (generate one with 'zonectl generate signing-key')`);
  });
});
