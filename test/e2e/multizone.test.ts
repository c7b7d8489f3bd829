/**
 * Issue 14's flow with separate processes, as a user types it: a global and two zone control
 * planes, tokens minted on the global, a Mesh, an ExternalService and a MeshTrafficPermission
 * applied on the global, a
 * ZoneIngress registered in zone-2 in front of a TLS service, zone-1's egress routing to it, the
 * global killed with -9 while traffic flows through zone-1's egress, then restarted.
 * The outage lasts ZONECTL_E2E_GLOBAL_OUTAGE_S seconds (default 10 in `npm test`; the issue's
 * acceptance run uses 30).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { eventually, freePort, spawnZonectl, type Proc } from './processes.js';
import { MESH_YAML, ok, sidecar, startBackend, writeCliConfig } from './user.js';

const OUTAGE_MS = Number(process.env.ZONECTL_E2E_GLOBAL_OUTAGE_S ?? 10) * 1000;

interface Cp {
  proc: Proc;
  url: string;
  env: Record<string, string>;
}

async function startCp(t: TestContext, dir: string, name: string, args: string[]): Promise<Cp & { lines: RegExpMatchArray[] }> {
  const proc = spawnZonectl(t, ['control-plane', 'run', '--data-dir', join(dir, name), ...args]);
  const [, url] = await proc.waitFor(/listening on (http:\/\/\S+)/);
  return { proc, url, env: writeCliConfig(join(dir, `${name}.config`), name, url, dir), lines: [] };
}

async function json<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

/** The sidecar's reply through the egress. */
async function sidecarReply(port: number, sni: string, id: { cert: string; key: string; ca: string }, payload: string): Promise<string> {
  return (await sidecar(port, sni, id, payload)).reply;
}

describe('multizone with separate processes', { concurrency: false }, () => {
  test('global and two zones: sync, cross-zone routing through the egress, global outage and restart', async (t) => {
    const dir = tmpDir(t, 'zonectl-mz-');
    const ports = { api: await freePort(), kds: await freePort() };
    const globalArgs = ['--mode', 'global', '--api-port', String(ports.api), '--kds-port', String(ports.kds), '--kds-address', '127.0.0.1'];
    let global = await startCp(t, dir, 'global', globalArgs);
    const [, kdsUrl, kdsCa] = await global.proc.waitFor(/KDS server for zone control planes listening on (https:\/\/\S+) \(zones trust (\S+)\)/);

    const zones: Record<string, Cp & { dpUrl: string; dpCa: string }> = {};
    await Promise.all(
      ['zone-1', 'zone-2'].map(async (zone) => {
        const tokenFile = join(dir, `${zone}-cp.token`);
        writeFileSync(tokenFile, await ok(global, ['generate', 'zone-token', '--zone', zone, '--scope', 'cp', '--valid-for', '1h']), { mode: 0o600 });
        const cp = await startCp(t, dir, zone, ['--mode', 'zone', '--zone', zone, '--global-address', kdsUrl, '--global-token-file', tokenFile, '--global-ca-cert-file', kdsCa, '--api-port', '0', '--dp-port', '0']);
        const [, dpUrl, dpCa] = await cp.proc.waitFor(/dp-server for egresses listening on (https:\/\/\S+) \(egresses trust (\S+)\)/);
        zones[zone] = { ...cp, dpUrl, dpCa };
      }),
    );
    const [z1, z2] = [zones['zone-1'], zones['zone-2']];

    // Applied on the global, read-only on the zones.
    await ok(global, ['apply', '-f', '-'], MESH_YAML);
    await ok(global, ['apply', '-f', '-'], 'type: ExternalService\nmesh: default\nname: httpbin\nnetworking:\n  address: 127.0.0.1:9\ntags:\n  kuma.io/service: httpbin\n');
    await ok(global, ['apply', '-f', '-'], 'type: MeshTrafficPermission\nmesh: default\nname: allow-web\nspec:\n  targetRef:\n    kind: Mesh\n  from:\n  - targetRef:\n      kind: MeshSubset\n      tags:\n        kuma.io/service: web\n    default:\n      action: Allow\n');
    for (const z of [z1, z2]) {
      await eventually('the mesh, external service and policy in the zone', async () => (await json(`${z.url}/meshes/default/external-services/httpbin`)).status === 200 && (await json(`${z.url}/meshes/default/meshtrafficpermissions/allow-web`)).status === 200);
    }
    const refused = await runCli(['apply', '-f', '-'], { env: z1.env, stdin: MESH_YAML.replace('name: default', 'name: other') });
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /On zone control plane you can only modify zone resources with 'kumactl apply' or via the HTTP API\. You can still use 'kumactl' or the HTTP API to modify the rest of the resource on the global control plane\./);
    const mint = await runCli(['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'egress', '--valid-for', '1h'], { env: z1.env });
    assert.notEqual(mint.code, 0);
    assert.match(mint.stderr, /zone tokens are minted on the global control plane\. Run 'zonectl generate zone-token --zone zone-1 --scope egress --valid-for 720h' against the global/);

    // zone-2: a TLS service with a certificate from the (global) mesh CA, behind a ZoneIngress.
    const backendPort = await startBackend(t, z2, dir);
    const ingress = `type: ZoneIngress\nname: ingress\nnetworking:\n  address: 127.0.0.1\n  port: ${backendPort}\n  advertisedAddress: 127.0.0.1\n  advertisedPort: ${backendPort}\navailableServices:\n- mesh: default\n  instances: 1\n  tags:\n    kuma.io/service: backend\n`;
    await ok(z2, ['apply', '-f', '-'], ingress);
    const applied = Date.now();
    await eventually('zone-2 ingress in zone-1', async () => ((await json<{ items: { zone?: string }[] }>(`${z1.url}/zoneingresses`)).body.items ?? []).some((i) => i.zone === 'zone-2'), 5000);
    const reached = Date.now() - applied;
    assert.ok(reached < 2000, `zone-2's ingress took ${reached} ms to reach zone-1`);

    // zone-1's egress, with a token minted on the global.
    const egressToken = join(dir, 'egress.token');
    writeFileSync(egressToken, await ok(global, ['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'egress', '--valid-for', '1h']), { mode: 0o600 });
    const dataplaneFile = join(dir, 'egress.yaml');
    writeFileSync(dataplaneFile, 'type: ZoneEgress\nname: egress-1\nnetworking:\n  address: 127.0.0.1\n  port: 0\n  admin:\n    port: 0\n');
    const egress = spawnZonectl(t, ['dp', 'run', '--proxy-type=egress', `--cp-address=${z1.dpUrl}`, '--ca-cert-file', z1.dpCa, `--dataplane-token-file=${egressToken}`, `--dataplane-file=${dataplaneFile}`, '--drain-time', '1s']);
    const [, egressPort, adminPort] = await egress.waitFor(/egress \S+ listening on [\d.]+:(\d+), admin [\d.]+:(\d+)/);
    await eventually('egress ready', async () => (await fetch(`http://127.0.0.1:${adminPort}/ready`)).status === 200);
    await ok(z1, ['generate', 'tls-certificate', '--type', 'client', '--mesh', 'default', '--tag', 'kuma.io/service=web', '--cert-file', join(dir, 'web.crt'), '--key-file', join(dir, 'web.key'), '--ca-cert-file-out', join(dir, 'ca.crt')]);
    const web = { cert: readFileSync(join(dir, 'web.crt'), 'utf8'), key: readFileSync(join(dir, 'web.key'), 'utf8'), ca: readFileSync(join(dir, 'ca.crt'), 'utf8') };
    const port = Number(egressPort);
    await eventually('the route to backend', async () => (await (await fetch(`http://127.0.0.1:${adminPort}/config_dump`)).text()).includes('backend{mesh=default}'));
    assert.equal(await sidecarReply(port, 'backend{mesh=default}', web, 'ping'), 'backend: ping');

    const online = async (cp: Cp) => {
      const table = await ok(cp, ['inspect', 'zones']);
      return /^zone-1 +Online +/m.test(table) && /^zone-2 +Online +/m.test(table) ? table : undefined;
    };
    await eventually('both zones Online', () => online(global));
    // zone-1's egress reached the global too, labelled with its zone.
    await eventually('egress-1 on the global', async () => ((await json<{ items: { labels?: Record<string, string> }[] }>(`${global.url}/zoneegresses`)).body.items ?? []).some((e) => e.labels?.['kuma.io/zone'] === 'zone-1'));

    // The global dies: zone-1 keeps serving its last state and its egress keeps routing.
    global.proc.child.kill('SIGKILL');
    await global.proc.exited;
    let sent = 0;
    let failed = 0;
    const until = Date.now() + OUTAGE_MS;
    while (Date.now() < until) {
      try {
        if ((await sidecarReply(port, 'backend{mesh=default}', web, `n${sent}`)) !== `backend: n${sent}`) failed++;
      } catch {
        failed++;
      }
      sent++;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(sent > 10, `only ${sent} connections in the outage`);
    assert.equal(failed, 0, `${failed} of ${sent} connections failed while the global was down`);
    assert.equal((await json(`${z1.url}/meshes/default`)).status, 200);

    // Back on the same data dir and ports: the zones reconnect, and a change applied now reaches both.
    global = await startCp(t, dir, 'global', globalArgs);
    await eventually('both zones Online again', () => online(global), 20_000);
    await ok(global, ['apply', '-f', '-'], 'type: ExternalService\nmesh: default\nname: after\nnetworking:\n  address: 127.0.0.1:9\ntags:\n  kuma.io/service: after\n');
    for (const z of [z1, z2]) await eventually('the change after the restart', async () => (await json(`${z.url}/meshes/default/external-services/after`)).status === 200);
    assert.equal(await egress.stop('SIGTERM'), 0);
  });
});
