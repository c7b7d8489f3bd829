/**
 * CLI sides of issue 10's REST parity: Kuma's globalsecrets name, the warnings of a PUT that
 * dropped unknown fields, apply --strict, inspect zoneingresses. Real CLI, real control plane.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliContext } from '../cli/context.js';
import { runCli } from '../helpers/cli.js';
import { startTestControlPlane } from '../helpers/cp.js';

test('get globalsecrets, apply warnings and --strict, inspect zoneingresses', async (t) => {
  const cp = await startTestControlPlane(t, { zone: 'zone-1' });
  const { env, dir } = cliContext(t, cp.url);
  for (const kind of ['globalsecrets', 'global-secrets']) {
    const res = await runCli(['get', kind, '-o', 'json'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal((JSON.parse(res.stdout) as { items: { name: string }[] }).items[0].name, 'zone-token-signing-key-1', kind);
  }

  const file = join(dir, 'egress.yaml');
  writeFileSync(file, 'type: ZoneEgress\nname: ze-1\nnetworking:\n  address: 10.0.0.1\n  port: 10002\n  adress: typo\n');
  const strict = await runCli(['apply', '-f', file, '--strict'], { env });
  assert.equal(strict.code, 3);
  assert.match(strict.stderr, /egress\.yaml:6:3: ZoneEgress "ze-1": networking\.adress: unknown field \(not allowed with --strict\)/);
  assert.equal((await cp.store.list({ type: 'ZoneEgress' })).total, 0, 'nothing written');
  const lax = await runCli(['apply', '-f', file], { env });
  assert.equal(lax.code, 0, lax.stderr);
  assert.match(lax.stderr, /^warning: ZoneEgress "ze-1": networking\.adress: unknown field, ignored$/m);

  writeFileSync(file, 'type: ZoneIngress\nname: zi-2\nzone: zone-2\nnetworking:\n  address: 10.0.2.1\n  port: 10001\n');
  assert.equal((await runCli(['apply', '-f', file], { env })).code, 0);
  const inspect = await runCli(['inspect', 'zoneingresses'], { env });
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal(
    inspect.stdout,
    'NAME   STATUS    LAST CONNECTED AGO   LAST UPDATED AGO   TOTAL UPDATES   TOTAL ERRORS   KUMA-DP VERSION   ENVOY VERSION\nzi-2   Offline   never                never              0               0\n',
  );
});
