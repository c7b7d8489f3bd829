/**
 * The user's side of the end-to-end tests: a kumactl-style config file naming a control plane,
 * zonectl commands that must succeed, and a sidecar's TLS exchange through an egress.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import tls from 'node:tls';
import { runCli } from '../helpers/cli.js';

/** Mesh `default` as the egress needs it: builtin mTLS and `routing.zoneEgress: true`. */
export const MESH_YAML = `type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
  - name: ca-1
    type: builtin
routing:
  zoneEgress: true
`;

/** Writes a config whose current context is control plane `name` at `url`; returns the env that selects it. */
export function writeCliConfig(configFile: string, name: string, url: string, home: string): Record<string, string> {
  writeFileSync(configFile, `controlPlanes:\n- name: ${name}\n  coordinates:\n    apiServer:\n      url: ${url}\ncontexts:\n- name: ${name}\n  controlPlane: ${name}\ncurrentContext: ${name}\n`, { mode: 0o600 });
  return { ZONECTL_CONFIG: configFile, HOME: home };
}

/** Runs zonectl against `cp`'s context and returns its stdout; any exit but 0 fails the test. */
export async function ok(cp: { env: Record<string, string> }, args: string[], stdin?: string): Promise<string> {
  const r = await runCli(args, { env: cp.env, stdin });
  assert.equal(r.code, 0, `zonectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** The sidecar: TLS to the egress with a tag SNI and a mesh client certificate; the peer's SANs and the reply. */
export async function sidecar(port: number, sni: string, id: { cert: string; key: string; ca: string }, payload: string): Promise<{ peer: string; reply: string }> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: sni, cert: id.cert, key: id.key, ca: id.ca, checkServerIdentity: () => undefined });
  await once(socket, 'secureConnect');
  const peer = socket.getPeerCertificate().subjectaltname ?? '';
  socket.end(payload);
  let reply = '';
  socket.setEncoding('utf8').on('data', (d: string) => (reply += d));
  await once(socket, 'close');
  return { peer, reply };
}

/**
 * The zone-2 service behind its ingress: a TLS echo (`backend: ` + what it reads) with a server
 * certificate for kuma.io/service=backend that `cp`'s mesh CA issues through the CLI; its port.
 */
export async function startBackend(t: Pick<TestContext, 'after'>, cp: { env: Record<string, string> }, dir: string, mesh = 'default'): Promise<number> {
  await ok(cp, ['generate', 'tls-certificate', '--type', 'server', '--mesh', mesh, '--tag', 'kuma.io/service=backend', '--cert-file', join(dir, 'backend.crt'), '--key-file', join(dir, 'backend.key')]);
  const backend = tls.createServer({ cert: readFileSync(join(dir, 'backend.crt')), key: readFileSync(join(dir, 'backend.key')) }, (s) => {
    s.on('error', () => s.destroy());
    s.write('backend: ');
    s.pipe(s);
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  t.after(() => backend.close());
  return (backend.address() as AddressInfo).port;
}
