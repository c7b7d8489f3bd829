/**
 * Two `zonectl control-plane run --store postgres` processes on one PostgreSQL database, an egress
 * session on each (each listing both instances, its own first). Changes applied through either
 * instance reach both egresses; then one instance is killed with SIGKILL in the middle of 1,000
 * concurrent writes: no acknowledged write is lost, its egress fails over to the other instance,
 * the leader lease moves there, and the new leader marks the dead instance's stream disconnected.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { startCpSession, type CpSession } from '../../src/egress/cp-session.js';
import type { EgressSnapshot } from '../../src/resources/egress-config.js';
import { request } from '../helpers/cp.js';
import { freshDatabase } from '../helpers/postgres.js';
import { tmpDir } from '../helpers/tmp.js';
import { eventually, spawnZonectl, type Proc } from './processes.js';

interface Instance {
  proc: Proc;
  api: string;
  dp: string;
  id: string;
}

async function startInstance(t: TestContext, dbUrl: string, dataDir: string): Promise<Instance> {
  const proc = spawnZonectl(t, ['control-plane', 'run', '--store', 'postgres', '--postgres-url', dbUrl, '--zone', 'zone-1', '--data-dir', dataDir, '--api-port', '0', '--dp-port', '0', '--dp-address', '127.0.0.1']);
  const [, api] = await proc.waitFor(/listening on (http:\/\/\S+)/, 60_000);
  const [, dp] = await proc.waitFor(/dp-server for egresses listening on (https:\/\/\S+)/, 60_000);
  const id = String(((await request(`${api}/`)).json as { instanceId: string }).instanceId);
  return { proc, api, dp: dp.replace('0.0.0.0', '127.0.0.1'), id };
}

interface Egress {
  session: CpSession;
  snapshots: EgressSnapshot[];
  /** Resolves once a snapshot routes `sni`. */
  routes(sni: string): Promise<number>;
}

function startEgress(t: TestContext, name: string, cpAddress: string, ca: string, token: string): Egress {
  const snapshots: EgressSnapshot[] = [];
  const waiters: (() => void)[] = [];
  const session = startCpSession({
    cpAddress,
    ca,
    token,
    zoneEgress: { type: 'ZoneEgress', name, networking: { address: '127.0.0.1', port: 10002, admin: { port: 9901 } } },
    version: 'test',
    backoff: { initialMs: 100, maxMs: 500 },
    onSnapshot: (s) => {
      snapshots.push(s);
      for (const w of waiters.splice(0)) w();
      return { ok: true };
    },
  });
  t.after(() => session.close());
  const has = (sni: string) => snapshots.at(-1)?.routes.some((r) => r.sni === sni) ?? false;
  return {
    session,
    snapshots,
    async routes(sni) {
      const start = Date.now();
      while (!has(sni)) await new Promise<void>((r) => waiters.push(r));
      return Date.now() - start;
    },
  };
}

const externalService = (name: string) => ({ type: 'ExternalService', mesh: 'default', name, networking: { address: `${name}.example.com:443` }, tags: { 'kuma.io/service': name } });
const sniOf = (name: string) => `${name}{mesh=default}`;

test('postgres cluster: changes through either instance reach both egresses; kill -9 during 1,000 writes loses no acknowledged write, the egress fails over, the lease moves', async (t) => {
  const dbUrl = await freshDatabase(t);
  const dirA = tmpDir(t);
  const dirB = tmpDir(t);
  const a = await startInstance(t, dbUrl, dirA);
  const b = await startInstance(t, dbUrl, dirB);
  // Egresses verify the dp-server certificate: B took the CA A keeps in the database, so one
  // --ca-cert-file trusts both (nothing copied between data dirs).
  const ca = readFileSync(join(dirA, 'dp-server', 'ca.crt'), 'utf8');
  assert.equal(readFileSync(join(dirB, 'dp-server', 'ca.crt'), 'utf8'), ca);

  const mesh = await request(`${b.api}/meshes/default`, { method: 'PUT', body: { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } } });
  assert.equal(mesh.status, 201, mesh.text);
  const token = await request(`${a.api}/tokens/zone`, { method: 'POST', body: { zone: 'zone-1', scope: ['egress'], validFor: '1h' } });
  assert.equal(token.status, 200, token.text);
  const onA = startEgress(t, 'egress-a', `${a.dp},${b.dp}`, ca, token.text);
  const onB = startEgress(t, 'egress-b', `${b.dp},${a.dp}`, ca, token.text);
  await Promise.all([onA.session.ready, onB.session.ready]);

  // Through A, then through B: each change reaches both egresses in well under a second.
  for (const [via, name] of [[a, 'es-a'], [b, 'es-b']] as const) {
    const put = await request(`${via.api}/meshes/default/external-services/${name}`, { method: 'PUT', body: externalService(name) });
    assert.equal(put.status, 201, put.text);
    const [ms1, ms2] = await Promise.all([onA.routes(sniOf(name)), onB.routes(sniOf(name))]);
    assert.ok(ms1 < 1000 && ms2 < 1000, `${name} reached the egresses in ${ms1} and ${ms2} ms`);
  }
  const insight = async (name: string) => ((await request(`${b.api}/zoneegressinsights/${name}`)).json as { subscriptions?: { controlPlaneInstanceId: string; disconnectTime?: string }[] }).subscriptions ?? [];
  assert.equal((await insight('egress-a')).at(-1)?.controlPlaneInstanceId, a.id, 'the insight names the instance holding the stream');
  assert.equal((await insight('egress-b')).at(-1)?.controlPlaneInstanceId, b.id);
  const leaseHolder = async () => {
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    try {
      const r = await c.query<{ doc: string }>(`SELECT doc FROM zonectl_resources WHERE type = 'ControlPlaneLease'`);
      return r.rows.length ? String((JSON.parse(r.rows[0].doc) as { holder: string }).holder) : undefined;
    } finally {
      await c.end();
    }
  };
  assert.equal(await eventually('a leader', leaseHolder), a.id, 'the first instance leads');

  // 1,000 writes from 50 concurrent clients, half through each instance; A is killed after 200 answers.
  const acked = new Set<string>();
  let answered = 0;
  let next = 0;
  const client = async () => {
    while (next < 1000) {
      const i = next++;
      const via = i % 2 ? a : b;
      const name = `w-${i}`;
      try {
        const r = await request(`${via.api}/zoneegresses/${name}`, { method: 'PUT', body: { type: 'ZoneEgress', name, networking: { address: '10.0.0.1', port: 10002 } } });
        if (r.status === 201) acked.add(name);
      } catch {
        // Not acknowledged (the instance died): no promise was made.
      }
      if (++answered === 200) a.proc.child.kill('SIGKILL');
    }
  };
  await Promise.all(Array.from({ length: 50 }, client));
  assert.ok(acked.size >= 500, `${acked.size} writes acknowledged`);
  const names = new Set<string>();
  for (let offset = 0; ; offset += 1000) {
    const page = (await request(`${b.api}/zoneegresses?size=1000&offset=${offset}`)).json as { items: { name: string }[] };
    page.items.forEach((i) => names.add(i.name));
    if (page.items.length < 1000) break;
  }
  const lost = [...acked].filter((n) => !names.has(n));
  assert.deepEqual(lost, [], 'every acknowledged write is stored');

  // A's egress fails over to B and follows changes made there.
  const failedOver = await eventually('egress-a streaming from B', async () => (await insight('egress-a')).some((s) => s.controlPlaneInstanceId === b.id && !s.disconnectTime), 20_000);
  assert.ok(failedOver);
  await request(`${b.api}/meshes/default/external-services/es-c`, { method: 'PUT', body: externalService('es-c') });
  await onA.routes(sniOf('es-c'));
  // The lease moves to B within 10 s of the kill, and B marks the stream A held disconnected.
  assert.equal(await eventually('B to lead', async () => (await leaseHolder()) === b.id && b.id, 12_000), b.id);
  await eventually('the dead instance\'s stream marked disconnected', async () => (await insight('egress-a')).filter((s) => s.controlPlaneInstanceId === a.id).every((s) => s.disconnectTime), 12_000);
});
