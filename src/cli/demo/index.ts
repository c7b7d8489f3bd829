/**
 * `npm start`: the product docs' flow, end to end, in one process on embedded defaults. It starts
 * a control plane (SQLite in a temporary data dir), applies a Mesh with builtin mTLS and
 * `routing.zoneEgress: true`, a ZoneIngress of zone-2 fronting a local TLS echo server and an
 * ExternalService pointing at a local HTTP server, mints an egress-scoped zone token, starts the
 * egress against the dp-server, sends one connection through each route as a sidecar with a mesh
 * certificate, shows a client that no MeshTrafficPermission allows being refused, prints
 * `inspect zoneegresses`, and stops everything on Ctrl-C.
 */
import { Chalk } from 'chalk';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import { ApiClient } from '../../client/api-client.js';
import { listAllPath, putResource } from '../../client/resources.js';
import { requestZoneToken } from '../../client/tokens.js';
import { startControlPlane } from '../../control-plane/index.js';
import { tagSni } from '../../resources/egress-config.js';
import type { Resource } from '../../resources/types.js';
import { renderEgressTable } from '../views/inspect.js';
import { ALLOW_WEB_TO_HTTPBIN, DEMO_MESH, HTTPBIN_GET, httpbinExternalService, issueIdentity, MESH, startDemoEgress } from './common.js';
import { sidecarRequest, type SidecarIdentity } from './sidecar.js';
import { startHttpService, startTlsEcho } from './services.js';

export interface DemoIo {
  out(line: string): void;
  /** Resolves when the demo should stop (Ctrl-C); immediately for `--once`. */
  untilStopped(): Promise<void>;
  color: boolean;
  version: string;
}

const ZONE = 'zone-1';
const STEPS = 11;

export async function runDemo(io: DemoIo): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zonectl-demo-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  const step = (n: number, what: string, detail: string) => io.out(`${`[${n}/${STEPS}]`.padEnd(7)} ${what.padEnd(36)} ${detail}`);
  try {
    io.out(`zonectl demo: control plane, zone token and egress on 127.0.0.1 (data in ${dataDir})`);
    io.out('');

    const cp = await startControlPlane({ dataDir, apiPort: 0, apiAddress: '127.0.0.1', dpPort: 0, zone: ZONE, store: 'sqlite', log: silentLogger(), options: { dpAddress: '127.0.0.1' } });
    cleanups.unshift(() => cp.stop());
    const dpAddress = `https://127.0.0.1:${String(cp.ctx.options.dpPortBound)}`;
    step(1, 'zonectl control-plane run', `API ${cp.url}, dp-server ${dpAddress}, SQLite store, zone ${ZONE}`);

    const client = new ApiClient({ baseUrl: cp.url });
    const put = async (r: Resource) => `${r.type} "${r.name}" ${(await putResource(client, r)).created ? 'created' : 'updated'}`;
    step(2, 'zonectl apply -f mesh.yaml', `${await put(DEMO_MESH)} (builtin mTLS, routing.zoneEgress: true)`);

    const issue = (type: 'client' | 'server', service: string): Promise<SidecarIdentity> => issueIdentity(client, type, service);
    const backendId = await issue('server', 'backend');
    const backend = await startTlsEcho('backend', backendId.certPem, backendId.keyPem);
    cleanups.unshift(() => backend.close());
    const httpbin = await startHttpService();
    cleanups.unshift(() => httpbin.close());

    const ingress: Resource = {
      type: 'ZoneIngress',
      name: 'zoneingress-zone-2',
      zone: 'zone-2',
      networking: { address: '127.0.0.1', port: backend.port, advertisedAddress: '127.0.0.1', advertisedPort: backend.port },
      availableServices: [{ mesh: MESH, instances: 1, tags: { 'kuma.io/service': 'backend' } }],
    };
    step(3, 'zonectl apply -f zoneingress.yaml', `${await put(ingress)} (zone-2, backend at 127.0.0.1:${backend.port})`);
    step(4, 'zonectl apply -f external.yaml', `${await put(httpbinExternalService(httpbin.port))} (127.0.0.1:${httpbin.port}, plain HTTP)`);
    step(5, 'zonectl apply -f permission.yaml', `${await put(ALLOW_WEB_TO_HTTPBIN)} (httpbin: only web may connect)`);

    const token = await requestZoneToken(client, { zone: ZONE, scope: ['egress'], validFor: '1h' });
    const tokenFile = join(dataDir, 'egress.token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    step(6, 'zonectl generate zone-token', `--zone ${ZONE} --scope egress --valid-for 1h > ${tokenFile}`);

    const egress = await startDemoEgress({ dataDir, cpAddress: dpAddress, caCertFile: String(cp.ctx.options.dpCaCertFile), tokenFile, version: io.version }, cleanups);
    const snapshot = await egress.session.ready;
    step(7, 'zonectl dp run --proxy-type=egress', `listening on 127.0.0.1:${egress.egress.port}, admin 127.0.0.1:${egress.egress.adminPort}, ${snapshot.routes.length} routes`);

    // Every request goes to the egress, as a sidecar's outbound would.
    const viaEgress = (service: string, identity: SidecarIdentity, payload: string, expectUri: string, until?: RegExp) =>
      sidecarRequest({ host: '127.0.0.1', port: egress.egress.port, sni: tagSni(service, MESH), identity, payload, expectUri, until });
    const sidecar = await issue('client', 'web');
    const cross = await viaEgress('backend', sidecar, 'hello from web\n', `spiffe://${MESH}/backend`, /hello from web\n/);
    step(8, 'web -> backend (cross-zone)', `passthrough, TLS end to end with ${cross.peerUris.join(',')}: "${cross.reply.trim()}"`);

    const ext = await viaEgress('httpbin', sidecar, HTTPBIN_GET, `spiffe://${MESH}/zone-egress`);
    const status = ext.reply.split('\r\n')[0];
    const body = ext.reply.split('\r\n\r\n')[1] ?? '';
    step(9, 'web -> httpbin (external)', `mTLS terminated by ${ext.peerUris.join(',')}: ${status} ${body}`);

    const attacker = await issue('client', 'attacker');
    const denied = await viaEgress('httpbin', attacker, HTTPBIN_GET, `spiffe://${MESH}/zone-egress`);
    const outcome = denied.reply === '' ? 'denied: closed right after the handshake, nothing reached httpbin' : `NOT denied: ${denied.reply.split('\r\n')[0]}`;
    // What an operator sees on the egress admin API.
    const stats = await (await fetch(`http://127.0.0.1:${egress.egress.adminPort}/stats`)).text();
    step(10, 'attacker -> httpbin (external)', `${outcome} (${/^rejected\.denied: \d+$/m.exec(stats)?.[0] ?? 'rejected.denied: ?'})`);

    const overviews = await listAllPath<Resource>(client, '/zoneegresses/_overview');
    step(11, 'zonectl inspect zoneegresses', '');
    io.out(renderEgressTable(overviews, systemClock, new Chalk({ level: io.color ? 1 : 0 })).trimEnd());
    io.out('');
    io.out('Everything is running. Press Ctrl-C to stop.');
    await io.untilStopped();
  } finally {
    for (const c of cleanups) await c();
  }
  io.out('stopped: egress drained, control plane closed, temporary data removed');
}
