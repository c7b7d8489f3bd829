import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixedClock } from '../../../src/core/clock.js';
import { signZoneToken } from '../../../src/tokens/index.js';
import { cliContext } from '../../cli/context.js';
import { runCli } from '../../helpers/cli.js';
import { startTestControlPlane } from '../../helpers/cp.js';
import { assertGolden } from '../../helpers/golden.js';
import { KEY1_PEM, signingKey } from '../../tokens/helpers.js';

const KUMA_PUBLIC = fileURLToPath(new URL('../../tokens/fixtures/publickey.pem', import.meta.url));
const MINTED = '2026-01-01T00:00:00Z';

/** A token minted at a fixed instant with a fixed id, so the output is stable. */
async function fixedToken(zone = 'zone-1', scope: ('egress' | 'ingress')[] = ['egress']): Promise<string> {
  return signZoneToken({ zone, scope, validForMs: 720 * 3_600_000 }, await signingKey(KEY1_PEM, 1), { clock: fixedClock(MINTED), jti: '3f1c2a9e-8d7b-4e6f-a5c4-b3a291807f6e' });
}

describe('zonectl inspect zone-token', () => {
  test('decodes a token from stdin and shows when it expires (golden, fixed clock)', async (t) => {
    const { env } = cliContext(t, 'http://127.0.0.1:9');
    const res = await runCli(['inspect', 'zone-token', '-'], { env: { ...env, ZONECTL_FIXED_CLOCK: '2026-01-11T12:30:00Z' }, stdin: await fixedToken() });
    assert.equal(res.code, 0, res.stderr);
    assertGolden('tokens/inspect-zone-token.txt', res.stdout);
  });

  test('--verify --public-key: an expired token is shown with exactly why it is invalid, exit 3 (golden)', async (t) => {
    const { env } = cliContext(t, 'http://127.0.0.1:9');
    const res = await runCli(['inspect', 'zone-token', await fixedToken(), '--verify', '--public-key', KUMA_PUBLIC, '--zone', 'zone-1'], {
      env: { ...env, ZONECTL_FIXED_CLOCK: '2026-02-03T09:00:00Z' },
    });
    assert.equal(res.code, 3);
    assertGolden('tokens/inspect-zone-token-expired.txt', res.stdout);
  });

  test('--verify asks the control plane: valid exits 0, out of scope exits 3 with the reason', async (t) => {
    const cp = await startTestControlPlane(t, { zone: 'zone-1' });
    const { env } = cliContext(t, cp.url);
    const mint = async (scope: string[]) => (await fetch(`${cp.url}/tokens/zone`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ zone: 'zone-1', scope, validFor: '1h' }) })).text();
    const realClock = { ...env, ZONECTL_FIXED_CLOCK: '' };
    const ok = await runCli(['inspect', 'zone-token', await mint(['egress']), '--verify', '--json'], { env: realClock });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).verification, { valid: true, checkedBy: `the control plane at ${cp.url}`, revocationChecked: true });
    const no = await runCli(['inspect', 'zone-token', await mint(['ingress']), '--verify'], { env: realClock });
    assert.equal(no.code, 3);
    assert.match(no.stdout, /\nValid: {13}no, token cannot be used to authenticate zone entity \(egress is out of token's scope: \[ingress\]\) \[out-of-scope\]\n$/);
  });

  test('text that is not a token is rejected with the reason (exit 3)', async (t) => {
    const { env } = cliContext(t, 'http://127.0.0.1:9');
    const res = await runCli(['inspect', 'zone-token', 'not-a-token'], { env });
    assert.equal(res.code, 3);
    assert.equal(res.stderr.trim(), 'Error: token is not a JWT: expected three base64url segments separated by dots, got 1');
  });
});
