import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { dpServerModule } from '../../src/control-plane/dp-server/index.js';
import { startControlPlane } from '../../src/control-plane/index.js';
import { apiModules } from '../../src/control-plane/server/modules.js';
import { ForbiddenError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { runEgressFromControlPlane, type EgressFromCp } from '../../src/egress/cp-session-run.js';
import { tmpDir } from '../helpers/tmp.js';

async function setup(t: TestContext) {
  const dir = tmpDir(t);
  const modules = apiModules.includes(dpServerModule) ? apiModules : [...apiModules, dpServerModule];
  const cp = await startControlPlane({ dataDir: join(dir, 'cp'), apiPort: 0, dpPort: 0, store: 'memory', zone: 'zone-1', modules, options: { dpAddress: '127.0.0.1' } });
  t.after(() => cp.stop());
  const token = async (scope: string) => (await fetch(`${cp.url}/tokens/zone`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ zone: 'zone-1', scope: [scope], validFor: '1h' }) })).text();
  writeFileSync(join(dir, 'ze.yaml'), 'type: ZoneEgress\nname: {{ name }}\nnetworking:\n  address: 127.0.0.1\n  port: 0\n  admin:\n    port: 0\n');
  const base = {
    cpAddress: `https://127.0.0.1:${cp.ctx.options.dpPortBound as number}`,
    caCertFile: cp.ctx.options.dpCaCertFile as string,
    dataplaneFile: join(dir, 'ze.yaml'),
    dataplaneVars: { name: 'egress-1' },
    version: '0.1.0',
    drainTimeMs: 1000,
    clientHelloTimeoutMs: 1000,
    logger: silentLogger(),
  };
  return { cp, dir, token, base };
}

test('dp run from a control plane: templated dataplane file, registered with its bound ports, Ready after the first snapshot, clean stop', async (t) => {
  const { cp, dir, token, base } = await setup(t);
  writeFileSync(join(dir, 'egress.token'), await token('egress'));
  const stop = new AbortController();
  let started!: (r: EgressFromCp) => void;
  const handles = new Promise<EgressFromCp>((r) => (started = r));
  const run = runEgressFromControlPlane({ ...base, tokenFile: join(dir, 'egress.token'), stop: stop.signal }, started);
  t.after(() => stop.abort());
  const { egress, session, resource } = await handles;
  await session.ready;
  const ready = await fetch(`http://127.0.0.1:${egress.adminPort}/ready`);
  assert.equal(ready.status, 200);
  const stored = (await (await fetch(`${cp.url}/zoneegresses/egress-1`)).json()) as { zone: string; networking: { port: number; admin: { port: number } } };
  assert.equal(stored.zone, 'zone-1');
  assert.deepEqual([stored.networking.port, stored.networking.admin.port], [egress.port, egress.adminPort]);
  assert.equal(resource.name, 'egress-1');
  stop.abort();
  await run;
  assert.equal(session.state, 'stopped');
});

test('dp run from a control plane: a token without the egress scope stops it with the control plane message', async (t) => {
  const { dir, token, base } = await setup(t);
  writeFileSync(join(dir, 'ingress.token'), await token('ingress'));
  await assert.rejects(
    runEgressFromControlPlane({ ...base, tokenFile: join(dir, 'ingress.token') }),
    (err: unknown) => err instanceof ForbiddenError && err.message === "token cannot be used to authenticate zone entity (egress is out of token's scope: [ingress])",
  );
  await assert.rejects(runEgressFromControlPlane({ ...base, tokenFile: join(dir, 'missing.token') }), /cannot read token file .*missing\.token \(ENOENT\); check --dataplane-token-file/);
});

test('dp run from a control plane with --workers 2: one session for the egress, the version acked once both workers run it', async (t) => {
  const { cp, dir, token, base } = await setup(t);
  writeFileSync(join(dir, 'egress.token'), await token('egress'));
  const stop = new AbortController();
  let started!: (r: EgressFromCp) => void;
  const handles = new Promise<EgressFromCp>((r) => (started = r));
  const run = runEgressFromControlPlane({ ...base, workers: 2, tokenFile: join(dir, 'egress.token'), stop: stop.signal }, started);
  t.after(() => stop.abort());
  const { egress, session } = await handles;
  const snapshot = await session.ready;
  type Insight = { subscriptions: Array<{ status: { total: { responsesAcknowledged: string } } }> };
  const acked = async () => ((await (await fetch(`${cp.url}/zoneegressinsights/egress-1`)).json()) as Insight).subscriptions.map((s) => s.status.total.responsesAcknowledged);
  for (let i = 0; i < 200 && (await acked())[0] !== '1'; i++) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(await acked(), ['1'], 'one subscription (the primary), one acknowledged version');
  const dump = (await (await fetch(`http://127.0.0.1:${egress.adminPort}/config_dump`)).json()) as { version: string; workers: Array<{ version: string }> };
  assert.equal(dump.version, snapshot.version);
  assert.deepEqual(
    dump.workers.map((w) => w.version),
    [snapshot.version, snapshot.version],
  );
  assert.equal((await fetch(`http://127.0.0.1:${egress.adminPort}/ready`)).status, 200);
  stop.abort();
  await run;
});
