/**
 * Deleting a zone-token signing key that connected egresses still use is refused (409) unless
 * forced; when forced, their streams end at once with a `closing` line the egress logs.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../../src/core/log.js';
import { startCpSession } from '../../../src/egress/cp-session.js';
import { formatSigningKey, generateSigningKeyPem } from '../../../src/tokens/index.js';
import { cliContext } from '../../cli/context.js';
import { runCli } from '../../helpers/cli.js';
import { request, startTestControlPlane } from '../../helpers/cp.js';

test('a signing key with live egress streams: 409 naming them, --force deletes and the egress logs why it was cut off', async (t) => {
  const cp = await startTestControlPlane(t, { zone: 'zone-1' });
  const token = (await request(`${cp.url}/tokens/zone`, { method: 'POST', body: { zone: 'zone-1', scope: ['egress'], validFor: '1h' } })).text;
  const lines = new PassThrough();
  const logged: { level: number; msg: string; reason?: string }[] = [];
  lines.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => logged.push(JSON.parse(l) as (typeof logged)[number])));
  const session = startCpSession({
    cpAddress: `https://127.0.0.1:${cp.instance.ctx.options.dpPortBound as number}`,
    caCertFile: cp.instance.ctx.options.dpCaCertFile as string,
    token,
    zoneEgress: { type: 'ZoneEgress', name: 'egress-1', networking: { address: '127.0.0.1', port: 10002 } },
    version: '0.1.0',
    onSnapshot: () => ({ ok: true }),
    logger: createLogger('egress', { destination: lines, level: 'info' }),
    backoff: { initialMs: 10, maxMs: 20 },
  });
  t.after(() => session.close());
  await session.ready;
  const key2 = formatSigningKey(await generateSigningKeyPem(), 'pem-base64');
  assert.equal((await request(`${cp.url}/global-secrets/zone-token-signing-key-2`, { method: 'PUT', body: { type: 'GlobalSecret', name: 'zone-token-signing-key-2', data: key2 } })).status, 201);

  const refused = await request(`${cp.url}/global-secrets/zone-token-signing-key-1`, { method: 'DELETE' });
  assert.equal(refused.status, 409);
  const detail =
    'signing key "zone-token-signing-key-1" verifies the zone tokens of 1 connected zone egress(es) (egress-1): deleting it disconnects them, and their tokens stop working. ' +
    'Give them tokens signed by the newest key first (zonectl generate zone-token --zone <zone> --scope egress --valid-for <duration>), or delete anyway with ?force=true (zonectl delete global-secret zone-token-signing-key-1 --force)';
  assert.equal((refused.json as { detail: string }).detail, detail);
  assert.equal((await request(`${cp.url}/global-secrets/zone-token-signing-key-2`, { method: 'DELETE' })).status, 200, 'an unused key goes');
  assert.equal((await request(`${cp.url}/global-secrets/zone-token-signing-key-1?force=maybe`, { method: 'DELETE' })).status, 400);

  const { env } = cliContext(t, cp.url);
  const cli = await runCli(['delete', 'global-secret', 'zone-token-signing-key-1'], { env });
  assert.equal(cli.code, 3);
  assert.equal(cli.stderr, `Error: ${detail}\n`);
  assert.equal(session.connected, true);

  const forced = await runCli(['delete', 'global-secret', 'zone-token-signing-key-1', '--force'], { env });
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(forced.stdout, 'deleted GlobalSecret "zone-token-signing-key-1"\n');
  // The stream ends with the reason; the reconnect then fails for good with the same reason.
  await assert.rejects(session.done, /there is no signing key with serial number 1/);
  const closing = logged.find((l) => l.reason === 'token-invalid');
  assert.ok(closing, JSON.stringify(logged));
  assert.equal(closing.level, 50);
  assert.equal(
    closing.msg,
    'the control plane no longer accepts this egress\'s zone token: there is no signing key with serial number 1. GlobalSecret of name "zone-token-signing-key-1" is not found. If signing key was rotated, regenerate the token. ' +
      'Generate a new token (zonectl generate zone-token --zone <zone> --scope egress --valid-for <duration>) and restart the egress with it',
  );
});
