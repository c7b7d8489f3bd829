/**
 * The reliability suite's shared parts (`npm run test:reliability`, scripts/test-reliability.mjs):
 * real processes (`node bin/run.js` over dist/), their output kept in files for the secrets grep,
 * figures recorded for docs/reliability.md, and budgets that ZONECTL_RELIABILITY_SCALE shrinks
 * for quick local runs (CI runs the default, 1).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { createCA } from '../../src/core/pki.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { eventually as pollUntil, waitForOutput } from '../helpers/eventually.js';
import { request } from '../helpers/cp.js';

type After = { after: (fn: () => unknown) => void };

/** 1 in CI; e.g. ZONECTL_RELIABILITY_SCALE=0.05 for a quick local run. */
export const SCALE = Number(process.env.ZONECTL_RELIABILITY_SCALE ?? '1');
/** A count or duration budget, scaled (never below min). */
export function budget(full: number, min = 1): number {
  return Math.max(min, Math.round(full * SCALE));
}

/** Where figures, secrets and process logs go (the runner sets it; a file run alone gets its own). */
export const OUT = process.env.ZONECTL_RELIABILITY_OUT ?? mkdtempSync(join(tmpdir(), 'zonectl-reliability-'));
mkdirSync(join(OUT, 'logs'), { recursive: true });

/** One figure of a part, for docs/reliability.md. */
export function record(part: string, figure: string, value: number | string): void {
  appendFileSync(join(OUT, 'figures.jsonl'), `${JSON.stringify({ part, figure, value })}\n`);
}

/** A secret the suite saw (token, key); no captured output may contain it (part h). */
export function rememberSecret(label: string, value: string): void {
  appendFileSync(join(OUT, 'secrets.jsonl'), `${JSON.stringify({ label, value })}\n`);
}

/** Every PEM private key body under dir (data dirs of control planes), remembered as secrets. */
export function rememberKeysIn(dir: string): void {
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.size < 100_000 && /\.(key|pem)$|admin-token$/.test(e)) {
        const text = readFileSync(p, 'utf8');
        if (e === 'admin-token') rememberSecret(`admin token ${p}`, text.trim());
        for (const body of pemBodies(text)) rememberSecret(`private key ${p}`, body);
      }
    }
  };
  walk(dir);
}

/** Base64 lines of every PRIVATE KEY block in text (joined per key). */
export function pemBodies(text: string): string[] {
  return [...text.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/g)].map((m) => m[1]!.replace(/\s+/g, ''));
}

let procCount = 0;

export interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number>;
  running(): boolean;
  kill(signal?: NodeJS.Signals): Promise<number>;
}

/** `node bin/run.js ...args`, its stdout/stderr also written to OUT/logs (killed by t.after). */
export function spawnZonectl(t: After, name: string, args: string[], env: Record<string, string> = {}): Proc {
  const base = join(OUT, 'logs', `${String(++procCount).padStart(4, '0')}-${name}`);
  const outFile = createWriteStream(`${base}.out`);
  const errFile = createWriteStream(`${base}.err`);
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let done = false;
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  child.stdout!.on('data', (d: Buffer) => {
    outFile.write(d);
    if (out.length < 1_000_000) out += d.toString('utf8');
    wake();
  });
  child.stderr!.on('data', (d: Buffer) => {
    errFile.write(d);
    if (err.length < 1_000_000) err += d.toString('utf8');
  });
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => {
      done = true;
      wake();
      resolve(code ?? (signal ? 128 : -1));
    }),
  );
  void exited.then(() => {
    outFile.end();
    errFile.end();
  });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!done) {
      if (signal === 'SIGKILL') child.kill('SIGCONT');
      child.kill(signal);
    }
    return exited;
  };
  t.after(() => kill('SIGKILL'));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    running: () => !done,
    kill,
    waitFor(re, timeoutMs = 30_000) {
      return waitForOutput({ stdout: () => out, stderr: () => err, exited: () => done, waiters }, `zonectl ${args.join(' ')}`, re, timeoutMs);
    },
  };
}

/** A temporary directory removed by t.after. */
export function tempDir(t: After, prefix = 'zonectl-rel-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Cp {
  proc: Proc;
  url: string;
  dpUrl: string;
  caFile: string;
  ca: string;
  dataDir: string;
}

export interface CpOptions {
  dataDir: string;
  store?: 'sqlite' | 'memory' | 'postgres';
  postgresUrl?: string;
  maxConnections?: number;
  name?: string;
}

/** `zonectl control-plane run` on 127.0.0.1 port 0 (API and dp-server), zone zone-1. */
export async function startCp(t: After, opts: CpOptions): Promise<Cp> {
  const args = ['control-plane', 'run', '--zone', 'zone-1', '--data-dir', opts.dataDir, '--api-port', '0', '--dp-port', '0', '--api-tls-port', '0', '--dp-address', '127.0.0.1', '--log-format', 'json'];
  if (opts.store) args.push('--store', opts.store);
  if (opts.postgresUrl) args.push('--postgres-url', opts.postgresUrl);
  if (opts.maxConnections) args.push('--max-connections', String(opts.maxConnections));
  const proc = spawnZonectl(t, opts.name ?? 'control-plane', args);
  const [, url] = await proc.waitFor(/listening on (http:\/\/\S+)/);
  const [, dpUrl, caFile] = await proc.waitFor(/dp-server for egresses listening on (https:\/\/\S+) \(egresses trust (\S+)\)/);
  rememberKeysIn(opts.dataDir);
  return { proc, url: url!, dpUrl: dpUrl!, caFile: caFile!, ca: readFileSync(caFile!, 'utf8'), dataDir: opts.dataDir };
}

/** Remembers the control plane's global secrets (signing keys) for the secrets grep. */
export async function rememberGlobalSecrets(cp: Cp): Promise<void> {
  const list = (await request(`${cp.url}/global-secrets`)).json as { items?: { name: string }[] };
  for (const { name } of list.items ?? []) {
    const s = (await request(`${cp.url}/global-secrets/${name}`)).json as { data?: string };
    if (!s.data) continue;
    rememberSecret(`global secret ${name}`, s.data);
    const decoded = Buffer.from(s.data, 'base64').toString('utf8');
    for (const body of pemBodies(decoded)) rememberSecret(`global secret ${name} key`, body);
  }
}

/** PUT of one resource as JSON (the REST path from its kind). */
export async function put(cp: Cp, resource: Record<string, unknown>): Promise<number> {
  const path = resourcePath(resource);
  const res = await request(`${cp.url}${path}`, { method: 'PUT', body: resource });
  return res.status;
}

function resourcePath(r: Record<string, unknown>): string {
  const name = String(r.name);
  switch (r.type) {
    case 'Mesh':
      return `/meshes/${name}`;
    case 'ZoneIngress':
      return `/zoneingresses/${name}`;
    case 'ExternalService':
      return `/meshes/${String(r.mesh)}/external-services/${name}`;
    case 'MeshTrafficPermission':
      return `/meshes/${String(r.mesh)}/meshtrafficpermissions/${name}`;
    default:
      throw new Error(`no path for ${String(r.type)}`);
  }
}

/** Mints a zone token through the API (remembered as a secret). */
export async function mintToken(cp: Cp, zone = 'zone-1', scope = ['egress'], validFor = '1h'): Promise<string> {
  const res = await request(`${cp.url}/tokens/zone`, { method: 'POST', body: { zone, scope, validFor } });
  assert.equal(res.status, 200, `minting a token: ${res.text}`);
  rememberSecret('zone token', res.text.trim());
  return res.text.trim();
}

export const MESH = 'default';

/** The mesh (mTLS, zoneEgress) with an allow-all permission. */
export async function applyMesh(cp: Cp): Promise<void> {
  assert.equal(await put(cp, { type: 'Mesh', name: MESH, mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } }), 201);
  assert.equal(await put(cp, { type: 'MeshTrafficPermission', mesh: MESH, name: 'allow-all', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } }), 201);
}

/** A zone-2 ingress offering `service` at the given ports (one ZoneIngress per port). */
export async function applyIngresses(cp: Cp, service: string, ports: number[]): Promise<void> {
  for (const [i, port] of ports.entries()) {
    const status = await put(cp, {
      type: 'ZoneIngress',
      name: `zi-${service}-${i}`,
      zone: 'zone-2',
      networking: { address: '127.0.0.1', port, advertisedAddress: '127.0.0.1', advertisedPort: port },
      availableServices: [{ mesh: MESH, instances: 1, tags: { 'kuma.io/service': service } }],
    });
    assert.ok(status === 201 || status === 200, `ZoneIngress for ${service}: ${status}`);
  }
}

export interface Egress {
  proc: Proc;
  port: number;
  adminPort: number;
}

/** `zonectl dp run --proxy-type=egress` against cp, on port 0. */
export async function startEgress(t: After, cp: Cp, dir: string, name: string, token: string, extra: string[] = []): Promise<Egress> {
  const { writeFileSync } = await import('node:fs');
  const tokenFile = join(dir, `${name}.token`);
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const dataplaneFile = join(dir, `${name}.yaml`);
  writeFileSync(dataplaneFile, `type: ZoneEgress\nname: ${name}\nnetworking:\n  address: 127.0.0.1\n  port: 0\n  admin:\n    port: 0\n`);
  const proc = spawnZonectl(t, name, ['dp', 'run', '--proxy-type=egress', `--cp-address=${cp.dpUrl}`, '--ca-cert-file', cp.caFile, `--dataplane-token-file=${tokenFile}`, `--dataplane-file=${dataplaneFile}`, '--drain-time', '1s', '--workers', '1', '--log-format', 'json', ...extra]);
  const m = await proc.waitFor(/egress \S+ listening on [\d.]+:(\d+), admin [\d.]+:(\d+)/);
  const egress = { proc, port: Number(m[1]), adminPort: Number(m[2]) };
  await eventually(`${name} /ready`, async () => (await fetch(`http://127.0.0.1:${egress.adminPort}/ready`)).status === 200, 30_000);
  return egress;
}

/** Polls fn every 50 ms until it returns a truthy value or timeoutMs passes (20 s: real processes under load). */
export function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  return pollUntil(what, fn, timeoutMs, 50);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A TLS echo server ("<tag>: " then the bytes back), a stand-in for a zone-2 service. */
export async function tlsEcho(t: After, tag: string): Promise<{ port: number; server: tls.Server }> {
  const { certPem, keyPem } = await createCA({ commonName: tag, validForMs: 3_600_000 });
  const server = tls.createServer({ cert: certPem, key: keyPem }, (s) => {
    s.on('error', () => s.destroy());
    s.write(`${tag}: `);
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, server };
}

/**
 * One client through the egress: TLS with SNI `<service>{mesh=default}`, sends payload, reads the
 * echo until it has it. Resolves with the reply, rejects on any failure or after timeoutMs.
 */
export function throughEgress(port: number, service: string, payload: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: `${service}{mesh=${MESH}}`, rejectUnauthorized: false });
    let reply = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no echo from ${service} through the egress in ${timeoutMs} ms (got ${JSON.stringify(reply)})`));
    }, timeoutMs);
    s.on('secureConnect', () => s.write(payload));
    s.setEncoding('utf8').on('data', (d: string) => {
      reply += d;
      if (reply.endsWith(payload)) {
        clearTimeout(timer);
        s.end();
        resolve(reply);
      }
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`closed before the echo (got ${JSON.stringify(reply)})`));
    });
  });
}

/** A plain HTTP GET that must answer 200 (a good client of the API). */
export async function goodApiClient(cp: Cp): Promise<void> {
  const res = await request(`${cp.url}/meshes`);
  assert.equal(res.status, 200, `good client: ${res.status} ${res.text}`);
}

/** A plain HTTP server on port 0 (teardown registered). */
export async function httpServer(t: After, handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as AddressInfo).port;
}
