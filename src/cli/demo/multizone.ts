/**
 * `npm start -- --multizone`: Kuma's multizone model in one process. A global control plane, two
 * zone control planes that sync with it (cp-scope tokens minted on the global), a Mesh and an
 * ExternalService applied on the global, a ZoneIngress registered in zone-2 in front of a local
 * TLS service, an egress in zone-1 with a token minted on the global, one connection through each
 * route, and `inspect zones`. Everything on 127.0.0.1 with free ports, in memory.
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
import { startControlPlane, type ControlPlane } from '../../control-plane/index.js';
import { tagSni } from '../../resources/egress-config.js';
import type { Resource } from '../../resources/types.js';
import { renderZoneTable } from '../views/zones.js';
import { ALLOW_WEB_TO_HTTPBIN, DEMO_MESH, HTTPBIN_GET, httpbinExternalService, issueIdentity, MESH, startDemoEgress } from './common.js';
import type { DemoIo } from './index.js';
import { startHttpService, startTlsEcho } from './services.js';
import { sidecarRequest } from './sidecar.js';

const STEPS = 10;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function runMultizoneDemo(io: DemoIo): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zonectl-demo-mz-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  const step = (n: number, what: string, detail: string) => io.out(`[${n}/${STEPS}] ${what.padEnd(44)} ${detail}`);
  const base = { apiPort: 0, apiAddress: '127.0.0.1', dpPort: 0, store: 'memory' as const, log: silentLogger() };
  try {
    io.out(`zonectl demo --multizone: a global, zone-1 and zone-2, and an egress in zone-1 on 127.0.0.1 (data in ${dataDir})`);
    io.out('');

    const global = await startControlPlane({ ...base, dataDir: join(dataDir, 'global'), mode: 'global', options: { kdsPort: 0, kdsAddress: '127.0.0.1' } });
    cleanups.unshift(() => global.stop());
    const kdsAddress = `https://127.0.0.1:${String(global.ctx.options.kdsPortBound)}`;
    step(1, 'zonectl control-plane run --mode global', `API ${global.url}, KDS ${kdsAddress}`);
    const gClient = new ApiClient({ baseUrl: global.url });

    const zones: Record<string, { cp: ControlPlane; client: ApiClient }> = {};
    for (const zone of ['zone-1', 'zone-2']) {
      const tokenFile = join(dataDir, `${zone}-cp.token`);
      writeFileSync(tokenFile, await requestZoneToken(gClient, { zone, scope: ['cp'], validFor: '1h' }), { mode: 0o600 });
      const cp = await startControlPlane({
        ...base,
        dataDir: join(dataDir, zone),
        mode: 'zone',
        zone,
        options: { dpAddress: '127.0.0.1', globalAddress: kdsAddress, globalTokenFile: tokenFile, globalCaCertFile: String(global.ctx.options.kdsCaCertFile), kdsBackoff: { initialMs: 100, maxMs: 1000 } },
      });
      cleanups.unshift(() => cp.stop());
      zones[zone] = { cp, client: new ApiClient({ baseUrl: cp.url }) };
    }
    step(2, 'zonectl control-plane run --mode zone', `zone-1 ${zones['zone-1'].cp.url}, zone-2 ${zones['zone-2'].cp.url} (cp tokens minted on the global)`);

    const httpbin = await startHttpService();
    cleanups.unshift(() => httpbin.close());
    await putResource(gClient, DEMO_MESH);
    await putResource(gClient, httpbinExternalService(httpbin.port));
    // The MeshTrafficPermission is a policy, synced to the zones like the rest.
    await putResource(gClient, ALLOW_WEB_TO_HTTPBIN);
    const applied = Date.now();
    for (const { client } of Object.values(zones)) await waitFor('the policy in the zones', async () => ((await listAllPath<Resource>(client, `/meshes/${MESH}/meshtrafficpermissions`)).length ? true : undefined));
    step(3, 'zonectl apply -f mesh.yaml (global)', `Mesh "${MESH}", ExternalService "httpbin", MeshTrafficPermission in both zones after ${Date.now() - applied} ms`);

    const z2 = zones['zone-2'].client;
    const backendId = await issueIdentity(z2, 'server', 'backend');
    const backend = await startTlsEcho('backend', backendId.certPem, backendId.keyPem);
    cleanups.unshift(() => backend.close());
    const ingress: Resource = {
      type: 'ZoneIngress',
      name: 'ingress',
      networking: { address: '127.0.0.1', port: backend.port, advertisedAddress: '127.0.0.1', advertisedPort: backend.port },
      availableServices: [{ mesh: MESH, instances: 1, tags: { 'kuma.io/service': 'backend' } }],
    };
    await putResource(z2, ingress);
    const registered = Date.now();
    step(4, 'zonectl apply -f zoneingress.yaml (zone-2)', `ZoneIngress "ingress" in front of backend at 127.0.0.1:${backend.port}`);
    const z1 = zones['zone-1'].client;
    const remote = await waitFor('the ingress in zone-1', async () => (await listAllPath<Resource>(z1, '/zoneingresses')).find((i) => i.zone === 'zone-2'));
    step(5, 'zone-2 -> global -> zone-1', `ZoneIngress "${remote.name}" (zone-2) in zone-1 after ${Date.now() - registered} ms`);

    const tokenFile = join(dataDir, 'egress.token');
    writeFileSync(tokenFile, await requestZoneToken(gClient, { zone: 'zone-1', scope: ['egress'], validFor: '1h' }), { mode: 0o600 });
    step(6, 'zonectl generate zone-token (global)', `--zone zone-1 --scope egress --valid-for 1h > ${tokenFile}`);

    const z1cp = zones['zone-1'].cp;
    const egress = await startDemoEgress(
      {
        dataDir,
        cpAddress: `https://127.0.0.1:${String(z1cp.ctx.options.dpPortBound)}`,
        caCertFile: z1cp.ctx.options.dpCaCertFile === undefined ? undefined : String(z1cp.ctx.options.dpCaCertFile),
        tokenFile,
        version: io.version,
      },
      cleanups,
    );
    const snapshot = await egress.session.ready;
    step(7, 'zonectl dp run --proxy-type=egress (zone-1)', `listening on 127.0.0.1:${egress.egress.port}, ${snapshot.routes.length} routes`);

    const web = await issueIdentity(z1, 'client', 'web');
    const cross = await sidecarRequest({ host: '127.0.0.1', port: egress.egress.port, sni: tagSni('backend', MESH), identity: web, payload: 'hello from web\n', expectUri: `spiffe://${MESH}/backend`, until: /hello from web\n/ });
    step(8, 'web (zone-1) -> backend (zone-2)', `passthrough to zone-2's ingress, TLS end to end with ${cross.peerUris.join(',')}: "${cross.reply.trim()}"`);
    const ext = await sidecarRequest({ host: '127.0.0.1', port: egress.egress.port, sni: tagSni('httpbin', MESH), identity: web, payload: HTTPBIN_GET, expectUri: `spiffe://${MESH}/zone-egress` });
    step(9, 'web (zone-1) -> httpbin (external)', `mTLS terminated by ${ext.peerUris.join(',')}: ${ext.reply.split('\r\n')[0]}`);

    const overviews = await waitFor('both zones online', async () => {
      const list = await listAllPath<Resource>(gClient, '/zones/_overview');
      return list.length === 2 ? list : undefined;
    });
    step(10, 'zonectl inspect zones (global)', '');
    io.out(renderZoneTable(overviews, systemClock, new Chalk({ level: io.color ? 1 : 0 })).trimEnd());
    io.out('');
    io.out('Everything is running. Press Ctrl-C to stop.');
    await io.untilStopped();
  } finally {
    for (const c of cleanups) await c();
  }
  io.out('stopped: egress drained, control planes closed, temporary data removed');
}
