import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { zoneTokenService } from '../../../src/control-plane/tokens/index.js';
import { fixedClock } from '../../../src/core/clock.js';
import { createZoneTokenVerifier, decodeToken, staticKeySource } from '../../../src/tokens/index.js';
import { cliContext } from '../../cli/context.js';
import { runCli } from '../../helpers/cli.js';
import { startTestControlPlane } from '../../helpers/cp.js';
import { fixture } from '../../tokens/helpers.js';

const KUMA_KEY = fileURLToPath(new URL('../../tokens/fixtures/samplekey.pem', import.meta.url));
const CLOCK = '2026-01-01T00:00:00Z';

describe('zonectl generate zone-token', () => {
  test('online: prints only the token (no newline when piped), which the control plane accepts', async (t) => {
    const cp = await startTestControlPlane(t, { zone: 'zone-1' });
    const { env } = cliContext(t, cp.url);
    const res = await runCli(['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'egress', '--valid-for', '720h'], { env });
    assert.equal(res.stderr, '');
    assert.equal(res.code, 0);
    assert.match(res.stdout, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const { verifier } = await zoneTokenService(cp.instance.ctx);
    const { kid, claims } = await verifier.verify(res.stdout, 'egress');
    assert.equal(kid, 1);
    assert.deepEqual([claims.Zone, claims.Scope], ['zone-1', ['egress']]);
  });

  test('online without --zone: the token is for the control plane\'s zone, and stderr says so', async (t) => {
    const cp = await startTestControlPlane(t, { zone: 'zone-7' });
    const { env } = cliContext(t, cp.url);
    const res = await runCli(['generate', 'zone-token', '--scope', 'egress', '--valid-for', '1h'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '--zone not given: the token is valid only in the control plane\'s zone "zone-7"\n');
    const { claims } = await (await zoneTokenService(cp.instance.ctx)).verifier.verify(res.stdout, 'egress');
    assert.equal(claims.Zone, 'zone-7');
  });

  test('online: the control plane\'s refusal is shown with its reason (exit 3)', async (t) => {
    const cp = await startTestControlPlane(t);
    const { env } = cliContext(t, cp.url);
    const res = await runCli(['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'egress'], { env });
    assert.equal(res.code, 3);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /^Error: failed to generate a zone token: Resource is not valid\n {2}\* validFor: cannot be empty: pass how long the token is valid in Go duration syntax, e\.g\. "720h"/);
  });

  test('offline with Kuma\'s key: the same token format, verifiable with Kuma\'s public key', async (t) => {
    const { env } = cliContext(t, 'http://127.0.0.1:9');
    const res = await runCli(['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'egress,ingress', '--valid-for', '24h', '--signing-key-path', KUMA_KEY, '--kid', '1'], {
      env: { ...env, ZONECTL_FIXED_CLOCK: CLOCK },
    });
    assert.equal(res.code, 0, res.stderr);
    const { header, payload } = decodeToken(res.stdout);
    assert.deepEqual(header, { alg: 'RS256', kid: '1', typ: 'JWT' });
    const now = Date.parse(CLOCK) / 1000;
    assert.deepEqual({ ...(payload as object), jti: 'x' }, { Zone: 'zone-1', Scope: ['egress', 'ingress'], exp: now + 86_400, nbf: now - 5, iat: now - 5, jti: 'x' });
    const keySource = await staticKeySource([{ kid: 1, pem: fixture('publickey.pem'), what: 'publickey.pem' }]);
    const verifier = createZoneTokenVerifier({ keySource, zone: 'zone-1', clock: fixedClock(CLOCK) });
    assert.equal((await verifier.verify(res.stdout, 'ingress')).kid, 1);
  });

  test('usage errors name the cause', async (t) => {
    const { env } = cliContext(t, 'http://127.0.0.1:9');
    const noKid = await runCli(['generate', 'zone-token', '--scope', 'egress', '--valid-for', '1h', '--signing-key-path', KUMA_KEY], { env });
    assert.equal(noKid.code, 2);
    assert.match(noKid.stderr, /All of the following must be provided when using --signing-key-path: --kid/);
    const badScope = await runCli(['generate', 'zone-token', '--scope', 'admin', '--valid-for', '1h'], { env });
    assert.equal(badScope.code, 2);
    assert.match(badScope.stderr, /Expected --scope=admin to be one of: egress, ingress, cp/);
    const noZone = await runCli(['generate', 'zone-token', '--scope', 'egress', '--valid-for', '1h', '--signing-key-path', KUMA_KEY, '--kid', '1'], { env });
    assert.equal(noZone.code, 2);
    assert.equal(noZone.stdout, '');
    assert.equal(noZone.stderr, 'Error: --zone is required with --signing-key-path: pass the zone the token is valid in, e.g. --zone zone-1\n');
    const noValidFor = await runCli(['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'egress', '--signing-key-path', KUMA_KEY, '--kid', '1'], { env });
    assert.equal(noValidFor.code, 2);
    assert.match(noValidFor.stderr, /^Error: --valid-for is required with --signing-key-path: pass how long the token is valid, e\.g\. --valid-for 720h/);
  });

  test('a control plane that is not running is named, with the next step (exit 1)', async (t) => {
    const { env } = cliContext(t, 'http://127.0.0.1:9');
    const res = await runCli(['generate', 'zone-token', '--scope', 'egress', '--valid-for', '1h'], { env });
    assert.equal(res.code, 1);
    assert.equal(res.stderr.trim(), "Error: failed to generate a zone token: control plane at http://127.0.0.1:9 refused the connection (is 'zonectl control-plane run' running?)");
  });
});
