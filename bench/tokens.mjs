#!/usr/bin/env node
// `npm run bench:tokens`: zone-token verifications per second through the real verifier
// (createZoneTokenVerifier with cached imported keys: decode, alg/kid checks, RS256 signature via
// jose/WebCrypto, claims, time, scope, zone), against a baseline from the same run: raw
// crypto.verify of the same signature with a prepared KeyObject. Target (issue 5): >= 5,000/s on
// one core, i.e. awaited one after another. Bounded: BENCH_SECONDS per case (default 2), split
// into 5 interleaved rounds; the median round is reported.
// Needs `npm run build` first. Exit 1 when the target is missed.
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { createZoneTokenVerifier, importSigningKey, parsePrivateKey, signZoneToken, staticKeySource } = await import(join(root, 'dist', 'tokens', 'index.js'));

const TARGET = 5000;
const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const keyPem = readFileSync(join(root, 'test', 'tokens', 'fixtures', 'samplekey.pem'), 'utf8');
const signing = { kid: 1, key: await importSigningKey(parsePrivateKey(keyPem, 'samplekey.pem')) };
const token = await signZoneToken({ zone: 'zone-1', scope: ['egress'], validForMs: 3_600_000 }, signing);
const keySource = await staticKeySource([{ kid: 1, pem: keyPem, what: 'samplekey.pem' }]);
const verifier = createZoneTokenVerifier({ keySource, zone: 'zone-1' });

// The control plane's hot path: keys and revocations from the store, cached and change-fed.
const { createMemoryStore } = await import(join(root, 'dist', 'control-plane', 'store', 'memory.js'));
const { StoreKeySource } = await import(join(root, 'dist', 'control-plane', 'tokens', 'index.js'));
const store = createMemoryStore();
await store.create({ type: 'GlobalSecret', name: 'zone-token-signing-key-1', data: Buffer.from(keyPem).toString('base64') });
await store.create({ type: 'GlobalSecret', name: 'zone-token-revocations', data: Buffer.from('a,b,c').toString('base64') });
const cpVerifier = createZoneTokenVerifier({ keySource: new StoreKeySource(store), zone: 'zone-1' });

const [h, p, s] = token.split('.');
const input = Buffer.from(`${h}.${p}`);
const sig = Buffer.from(s, 'base64url');
const publicKey = createPublicKey(keyPem);

async function round(fn, ms) {
  const deadline = performance.now() + ms;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < deadline) {
    await fn();
    n += 1;
  }
  return { n, perSecond: n / ((performance.now() - t0) / 1000) };
}

const cases = [
  {
    label: 'crypto.verify of the same signature (baseline)',
    fn: () => {
      if (!verify('sha256', input, publicKey, sig)) throw new Error('baseline failed to verify');
    },
  },
  { label: 'verifier.verify, awaited one by one', fn: () => verifier.verify(token, 'egress') },
  { label: "verifier.verify, control plane's store key source", fn: () => cpVerifier.verify(token, 'egress') },
];
for (const c of cases) await round(c.fn, 100); // warm-up (JIT, key caches)
// Interleaved rounds, median per case: the machine is shared, so load shifts between rounds
// hit every case alike instead of skewing whichever ran first.
const ROUNDS = 5;
const samples = cases.map(() => []);
const total = cases.map(() => 0);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, c] of cases.entries()) {
    const res = await round(c.fn, (seconds * 1000) / ROUNDS);
    samples[i].push(res.perSecond);
    total[i] += res.n;
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [baseline, sequential, controlPlane] = cases.map((c, i) => ({ label: c.label, n: total[i], perSecond: median(samples[i]) }));

const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(`zone-token verification (RS256, 2048-bit key, ${seconds}s per case, node ${process.version})`);
for (const r of [baseline, sequential, controlPlane]) {
  console.log(`  ${r.label.padEnd(50)} ${fmt(r.perSecond).padStart(8)}/s  (${fmt(r.n)} runs, ${(r.perSecond / baseline.perSecond).toFixed(2)}x baseline)`);
}
const ok = sequential.perSecond >= TARGET && controlPlane.perSecond >= TARGET;
console.log(`target >= ${fmt(TARGET)}/s awaited one by one (both verifier cases): ${ok ? 'met' : 'MISSED'}`);
await store.close();
process.exit(ok ? 0 : 1);
