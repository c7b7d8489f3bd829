/**
 * Part f: `kill -9` of the control plane at a random moment while 1,000 applies (PUTs of
 * ZoneIngresses, as `zonectl apply` sends them) are in flight, 20 rounds, on SQLite and on
 * PostgreSQL. After each restart every acknowledged write must be there with what was written:
 * lost writes = 0. The restarted control plane carries the next round.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test, type TestContext } from 'node:test';
import { freshDatabase } from '../helpers/postgres.js';
import { budget, record, sleep, startCp, tempDir, type Cp } from './harness.js';
import { rng } from './mutate.js';

const PART = 'f. kill -9 of the control plane during 1,000 concurrent applies';
const CONCURRENCY = 1_000;

interface Round {
  acked: Map<string, number>;
  attempted: number;
  killedAfterMs: number;
}

function putIngress(agent: http.Agent, base: URL, name: string, port: number): Promise<number> {
  const body = JSON.stringify({ type: 'ZoneIngress', name, zone: 'zone-2', networking: { address: '127.0.0.1', port, advertisedAddress: '127.0.0.1', advertisedPort: port }, availableServices: [] });
  return new Promise((resolve) => {
    const req = http.request({ host: base.hostname, port: base.port, path: `/zoneingresses/${name}`, method: 'PUT', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** 1,000 writers until the control plane is killed at a random moment (0.3-2.5 s after the first ack). */
async function attack(cp: Cp, round: number, r: () => number): Promise<Round> {
  const base = new URL(cp.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const acked = new Map<string, number>();
  let attempted = 0;
  let dead = false;
  let firstAck!: () => void;
  const first = new Promise<void>((res) => (firstAck = res));
  const writer = async (w: number) => {
    for (let seq = 0; !dead; seq++) {
      const name = `r${round}-w${w}-${seq}`;
      const port = 1 + ((round * 7919 + w * 31 + seq) % 65_000);
      attempted++;
      const status = await putIngress(agent, base, name, port);
      if (status === 201 || status === 200) {
        acked.set(name, port);
        firstAck();
      } else if (status === 0) return; // the control plane is gone
      else assert.fail(`PUT ${name}: ${status}`);
    }
  };
  const writers = Array.from({ length: CONCURRENCY }, (_, w) => writer(w));
  await Promise.race([first, sleep(30_000)]);
  assert.ok(acked.size > 0, 'writes are acknowledged before the kill');
  const delay = 300 + Math.floor(r() * 2_200);
  await sleep(delay);
  await cp.proc.kill('SIGKILL');
  dead = true;
  await Promise.all(writers);
  agent.destroy();
  return { acked, attempted, killedAfterMs: delay };
}

/** Names of acknowledged writes that are missing or different after the restart. */
async function lostWrites(cp: Cp, acked: Map<string, number>): Promise<string[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const lost: string[] = [];
  const names = [...acked.keys()];
  let i = 0;
  const check = async () => {
    while (i < names.length) {
      const name = names[i++]!;
      const got = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get(`${cp.url}/zoneingresses/${name}`, { agent }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          })
          .on('error', reject);
      });
      const port = got.status === 200 ? (JSON.parse(got.body) as { networking?: { port?: number } }).networking?.port : undefined;
      if (port !== acked.get(name)) lost.push(`${name} (${got.status}, port ${String(port)})`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, check));
  agent.destroy();
  return lost;
}

async function rounds(t: TestContext, store: 'sqlite' | 'postgres', postgresUrl?: string): Promise<void> {
  const dir = tempDir(t);
  const n = budget(20, 2);
  const r = rng(Number(process.env.ZONECTL_FUZZ_SEED ?? Date.now() % 1_000_000_007));
  const opts = { dataDir: `${dir}/cp`, store, postgresUrl, name: `control-plane-${store}` };
  let cp = await startCp(t, opts);
  let acked = 0;
  let attempted = 0;
  let inFlightKept = 0;
  const kills: number[] = [];
  const t0 = Date.now();
  for (let round = 0; round < n; round++) {
    const res = await attack(cp, round, r);
    kills.push(res.killedAfterMs);
    cp = await startCp(t, opts);
    const lost = await lostWrites(cp, res.acked);
    assert.deepEqual(lost.slice(0, 20), [], `${store} round ${round}: ${lost.length} acknowledged writes lost of ${res.acked.size}`);
    acked += res.acked.size;
    attempted += res.attempted;
    // Writes in flight at the kill may or may not have committed; either is fine, none is half-written.
    const list = await fetch(`${cp.url}/zoneingresses?size=1`).then((x) => x.json() as Promise<{ total: number }>);
    inFlightKept = list.total - acked;
  }
  await cp.proc.kill('SIGTERM');
  const label = store === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  record(PART, `${label}: rounds (kill -9 each)`, n);
  record(PART, `${label}: acknowledged writes`, acked);
  record(PART, `${label}: lost writes`, 0);
  record(PART, `${label}: PUTs sent (acknowledged or cut by the kill)`, attempted);
  record(PART, `${label}: unacknowledged writes found committed`, inFlightKept);
  record(PART, `${label}: kill after the first ack (ms, min-max)`, `${Math.min(...kills)}-${Math.max(...kills)}`);
  record(PART, `${label}: duration (s)`, Math.round((Date.now() - t0) / 1000));
}

describe(PART, { concurrency: false }, () => {
  test('SQLite: every acknowledged write survives kill -9', (t) => rounds(t, 'sqlite'));
  test('PostgreSQL: every acknowledged write survives kill -9 of the control plane', async (t) => rounds(t, 'postgres', await freshDatabase(t)));
});
