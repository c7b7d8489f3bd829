import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { zoneTokenService } from '../../../src/control-plane/tokens/index.js';
import { TokenError } from '../../../src/tokens/index.js';
import { cliContext } from '../../cli/context.js';
import { runCli } from '../../helpers/cli.js';
import { startTestControlPlane } from '../../helpers/cp.js';

describe('zonectl revoke zone-token', () => {
  test('revokes a token read from stdin and an id given with --jti; the control plane rejects the revoked token', async (t) => {
    const cp = await startTestControlPlane(t);
    const { env } = cliContext(t, cp.url);
    const mint = async () => (await fetch(`${cp.url}/tokens/zone`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ zone: '', scope: ['egress'], validFor: '1h' }) })).text();
    const [token, other] = [await mint(), await mint()];
    const { verifier } = await zoneTokenService(cp.instance.ctx);
    const jti = (await verifier.verify(token, 'egress')).claims.jti;

    const first = await runCli(['revoke', 'zone-token', '-'], { env, stdin: token });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `revoked zone token ${jti}\n`);
    const err = await verifier.verify(token, 'egress').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof TokenError && err.reason === 'revoked');
    assert.equal((await verifier.verify(other, 'egress')).kid, 1);

    const again = await runCli(['revoke', 'zone-token', '--jti', jti, '--json'], { env });
    assert.deepEqual(JSON.parse(again.stdout), { jti, added: false });
    await runCli(['revoke', 'zone-token', '--jti', 'second-id'], { env });
    const secret = (await cp.store.get({ type: 'GlobalSecret', name: 'zone-token-revocations' })).resource;
    assert.equal(Buffer.from(String(secret.data), 'base64').toString(), `${jti},second-id`);
  });

  test('needs exactly one of the token or --jti (exit 2)', async (t) => {
    const { env } = cliContext(t, 'http://127.0.0.1:9');
    const res = await runCli(['revoke', 'zone-token'], { env });
    assert.equal(res.code, 2);
    assert.equal(res.stderr.trim(), 'Error: pass either the token (or - for stdin) or --jti ID');
  });
});
