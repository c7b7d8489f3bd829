/**
 * Part c: a ClientHello fuzz seeded from hellos captured now from real clients (Node's tls and
 * `openssl s_client`) on a raw listener. In process, the pure parser must never throw, must
 * return (each call is timed) and must only answer what its contract allows; then a slice of the
 * mutants goes through a live egress, which must stay up and keep routing good clients.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from '../../src/egress/client-hello.js';
import { applyIngresses, applyMesh, budget, eventually, mintToken, record, startCp, startEgress, tempDir, throughEgress, tlsEcho } from './harness.js';
import { captureHello, nodeClient, opensslClient, type HelloClient } from '../fixtures/egress/hello-capture.js';
import { MUTATORS, mutate, rng, shapeOf, type HelloShape, type Mutator } from './mutate.js';

const PART = 'c. ClientHello fuzz';

async function captureSeeds(): Promise<{ name: string; bytes: Buffer }[]> {
  const clients: [string, HelloClient][] = [
    ['node sni', nodeClient({ servername: 'backend{mesh=default}' })],
    ['node no sni', nodeClient({})],
    ['node alpn', nodeClient({ servername: 'web{mesh=default,version=v2}', ALPNProtocols: ['h2', 'http/1.1'] })],
    ['node tls1.2', nodeClient({ servername: 'backend{mesh=default}', maxVersion: 'TLSv1.2' })],
    ['node dns name', nodeClient({ servername: 'api.example.com', ALPNProtocols: ['http/1.1'] })],
  ];
  if (spawnSync('openssl', ['version']).status === 0) {
    clients.push(
      ['openssl sni', opensslClient(['-servername', 'backend{mesh=default}'])],
      ['openssl no sni', opensslClient(['-noservername'])],
      ['openssl tls1.2 alpn', opensslClient(['-tls1_2', '-servername', 'backend{mesh=default}', '-alpn', 'h2,http/1.1'])],
    );
  }
  const seeds = [];
  for (const [name, c] of clients) seeds.push({ name, bytes: await captureHello(c) });
  return seeds;
}

const REASONS = new Set(['not-tls', 'need-more', 'malformed', 'too-large']);

/** Checks one parse against the parser's contract; returns the outcome's name. */
function checkOne(buf: Buffer): string {
  const r = parseClientHello(buf);
  if (r.ok) {
    assert.ok(r.end > 0 && r.end <= buf.length, `end ${r.end} outside the input (${buf.length} bytes)`);
    assert.ok(r.sni === undefined || typeof r.sni === 'string');
    assert.ok(Array.isArray(r.alpn) && r.alpn.every((a) => typeof a === 'string'));
    return 'ok';
  }
  assert.ok(REASONS.has(r.reason), `unknown reason ${String(r.reason)}`);
  return r.reason;
}

describe(PART, { concurrency: false }, () => {
  let shapes: HelloShape[] = [];

  test('seeds: real ClientHellos captured now from node:tls and openssl s_client parse with their SNI', async () => {
    const seeds = await captureSeeds();
    for (const s of seeds) {
      const r = parseClientHello(s.bytes);
      assert.ok(r.ok, `${s.name}: ${JSON.stringify(r)}`);
      if (s.name.includes('no sni')) assert.equal(r.sni, undefined);
      else assert.ok(r.sni, `${s.name} has an SNI`);
    }
    shapes = seeds.map((s) => shapeOf(s.bytes));
    record(PART, 'seed hellos captured (node:tls, openssl s_client)', seeds.map((s) => `${s.name} (${s.bytes.length} B)`).join(', '));
  });

  test('in process: at least 1,000,000 mutants, the parser never throws and always returns', () => {
    assert.ok(shapes.length > 0, 'seeds captured');
    const total = budget(1_000_000, 20_000);
    const seed = Number(process.env.ZONECTL_FUZZ_SEED ?? Date.now() % 1_000_000_007);
    const r = rng(seed);
    const outcomes = new Map<string, number>();
    const perMutator = new Map<Mutator, number>();
    let slowest = 0;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const kind = MUTATORS[i % MUTATORS.length]!;
      const buf = mutate(kind, shapes, r);
      const s = performance.now();
      let outcome: string;
      try {
        outcome = checkOne(buf);
      } catch (err) {
        assert.fail(`input #${i} (seed ${seed}, ${kind}): ${String(err)}\n${buf.toString('hex')}`);
      }
      const took = performance.now() - s;
      if (took > slowest) slowest = took;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      perMutator.set(kind, (perMutator.get(kind) ?? 0) + 1);
    }
    const secs = (performance.now() - t0) / 1000;
    // Terminates promptly: no input takes the parser anywhere near a connection's hello timeout.
    // (A bound, not a speed figure: at load average 20 a GC pause alone takes ~100 ms.)
    assert.ok(slowest < 1_000, `slowest parse took ${slowest.toFixed(1)} ms`);
    // Oversized inputs are refused by size, whatever they claim.
    assert.deepEqual(parseClientHello(Buffer.alloc(MAX_CLIENT_HELLO_BYTES + 10, 22)).ok, false);
    record(PART, 'in-process inputs (never threw, all returned)', total);
    record(PART, 'mutators', [...perMutator.keys()].join(', '));
    record(PART, 'outcomes', [...outcomes].map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', '));
    record(PART, 'in-process rate (inputs/s)', Math.round(total / secs));
    record(PART, 'slowest single parse (ms)', Number(slowest.toFixed(2)));
    record(PART, 'fuzz seed (ZONECTL_FUZZ_SEED to replay)', seed);
  });

  test('through a live egress: mutants are closed, the egress stays up and keeps routing', async (t) => {
    assert.ok(shapes.length > 0, 'seeds captured');
    const dir = tempDir(t);
    const cp = await startCp(t, { dataDir: `${dir}/cp` });
    await applyMesh(cp);
    const backend = await tlsEcho(t, 'backend');
    await applyIngresses(cp, 'backend', [backend.port]);
    const egress = await startEgress(t, cp, dir, 'ze-fuzz', await mintToken(cp), ['--client-hello-timeout', '1s']);
    await eventually('route to backend', () => throughEgress(egress.port, 'backend', 'hello'));

    const total = budget(3_000, 200);
    const r = rng(7);
    let closedByEgress = 0;
    let heldOpen = 0;
    let goodServed = 0;
    let sent = 0;
    const one = async () => {
      const buf = mutate(MUTATORS[sent % MUTATORS.length]!, shapes, r);
      sent++;
      const s = net.connect({ host: '127.0.0.1', port: egress.port });
      s.on('error', () => {});
      s.on('data', () => {});
      await once(s, 'connect');
      s.write(buf);
      // The egress closes what it cannot route at once, and a partial hello at its 1 s timeout;
      // a mutant it could route reaches the backend, whose own handshake then fails or waits.
      const closed = await Promise.race([once(s, 'close').then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 2500))]);
      if (closed) closedByEgress++;
      else heldOpen++;
      s.destroy();
    };
    const t0 = Date.now();
    let fuzzing = true;
    // A good client every 200 ms while the mutants go in: each must be served.
    const good = (async () => {
      while (fuzzing) {
        await throughEgress(egress.port, 'backend', `good ${goodServed}`);
        goodServed++;
        await new Promise((res) => setTimeout(res, 200));
      }
    })();
    good.catch(() => {}); // awaited below; a failure must not end the process before that
    const workers = Array.from({ length: 64 }, async () => {
      while (sent < total) await one();
    });
    await Promise.all(workers).finally(() => (fuzzing = false));
    await good;
    assert.ok(egress.proc.running(), 'the egress is still running');
    assert.equal((await fetch(`http://127.0.0.1:${egress.adminPort}/ready`)).status, 200);
    assert.match(await throughEgress(egress.port, 'backend', 'after the fuzz'), /^backend: after the fuzz$/);
    goodServed++;
    record(PART, 'mutants sent through a live egress', sent);
    record(PART, 'closed by the egress / routed on (closed by us after 2.5 s)', `${closedByEgress} / ${heldOpen}`);
    record(PART, 'good clients served during and after (failed: 0)', goodServed);
    record(PART, 'live phase duration (s)', Math.round((Date.now() - t0) / 1000));
  });
});
