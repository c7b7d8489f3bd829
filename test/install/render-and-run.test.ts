/**
 * "Render and run": the manifest of `zonectl install control-plane --egress-enabled` is not only
 * valid YAML, it wires a working system. The control-plane and egress containers are run as
 * local processes with the rendered command, arguments and environment, and with the rendered
 * Secret and ConfigMap contents written where the pod spec mounts them; the egress must become
 * ready and show Online in the control plane.
 *
 * What a cluster would provide is simulated, and only that: mount paths live under a temporary
 * directory, the Service's DNS name resolves to 127.0.0.1 (its `--cp-address` host is replaced),
 * addresses bind 127.0.0.1 and ports are free ones instead of the fixed container ports, and
 * `$(VAR)` references are expanded from the downward-API values as the kubelet does.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { installControlPlaneManifest } from '../../src/cli/install/run.js';
import { eventually, freePort, spawnZonectl } from '../e2e/processes.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking untyped manifests

function find(objects: Obj[], kind: string, name: string): Obj {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} is rendered`);
  return o;
}

/** Writes every Secret/ConfigMap volume of the pod where its container mounts it; returns mountPath -> local dir. */
function materialize(objects: Obj[], pod: Obj, container: Obj, root: string): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const m of container.volumeMounts as Obj[]) {
    const local = join(root, m.mountPath);
    mkdirSync(local, { recursive: true });
    mounts.set(m.mountPath, local);
    // A volumeClaimTemplate (the StatefulSet's data) is an empty directory, as a new claim is.
    const volume = (pod.volumes as Obj[]).find((v) => v.name === m.name) ?? {};
    const source = volume.secret ? find(objects, 'Secret', volume.secret.secretName) : volume.configMap ? find(objects, 'ConfigMap', volume.configMap.name) : undefined;
    if (!source) continue;
    for (const [file, value] of Object.entries(source.data as Record<string, string>)) {
      const path = join(local, file);
      writeFileSync(path, volume.secret ? Buffer.from(value, 'base64') : value);
      if (volume.secret) chmodSync(path, volume.secret.defaultMode);
    }
  }
  return mounts;
}

/** Mount paths -> local dirs, `$(VAR)` -> values (the kubelet's expansion). */
function localize(s: string, mounts: Map<string, string>, vars: Record<string, string>): string {
  const out = s.replace(/\$\(([A-Z_]+)\)/g, (m, v: string) => vars[v] ?? m);
  // One pass, longest mount path first, so a replaced path is never replaced again.
  const paths = [...mounts.keys()].sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return paths.length ? out.replace(new RegExp(paths.join('|'), 'g'), (m) => mounts.get(m)!) : out;
}

test('the rendered control plane and egress, run as local processes, bring the egress up Online', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'zonectl-render-run-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const manifest = await installControlPlaneManifest({ namespace: 'kuma-system', egressEnabled: true, valuesFiles: [], sets: ['controlPlane.zone=zone-1'], issuedAt: new Date(Date.now() - 60_000).toISOString() });
  const objects = parseAllDocuments(manifest).map((d) => d.toJS() as Obj);

  // The control plane, as its StatefulSet runs it.
  const cpPod = find(objects, 'StatefulSet', 'zonectl-control-plane').spec.template.spec;
  const cpContainer = cpPod.containers[0];
  const cpMounts = materialize(objects, cpPod, cpContainer, join(root, 'cp'));
  const [apiPort, dpPort, egressPort, adminPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const cpEnv: Record<string, string> = {};
  for (const e of cpContainer.env as Obj[]) cpEnv[e.name] = localize(String(e.value), cpMounts, {});
  Object.assign(cpEnv, { ZONECTL_API_ADDRESS: '127.0.0.1', ZONECTL_DP_ADDRESS: '127.0.0.1', ZONECTL_API_PORT: String(apiPort), ZONECTL_DP_PORT: String(dpPort) });
  assert.equal(cpEnv.ZONECTL_STORE, 'sqlite');
  const cp = spawnZonectl(t, (cpContainer.args as string[]).map((a) => localize(a, cpMounts, {})), cpEnv);
  await cp.waitFor(/dp-server for egresses listening/, 60_000);

  // The egress, as its Deployment runs it.
  const egressPod = find(objects, 'Deployment', 'zonectl-egress').spec.template.spec;
  assert.equal(egressPod.automountServiceAccountToken, false);
  const egressContainer = egressPod.containers[0];
  const egressMounts = materialize(objects, egressPod, egressContainer, join(root, 'egress'));
  const downward = { POD_NAME: 'zonectl-egress-7d9f8-x2x4q', POD_IP: '127.0.0.1' };
  const args = (egressContainer.args as string[]).map((a) => localize(a, egressMounts, downward).replace('zonectl-control-plane.kuma-system.svc:5678', `127.0.0.1:${dpPort}`));
  assert.ok(args.includes(`--cp-address=https://127.0.0.1:${dpPort}`), args.join(' '));
  const egress = spawnZonectl(t, [...args, `--port=${egressPort}`, `--admin-port=${adminPort}`], downward);

  await eventually('the egress admin /ready', async () => (await fetch(`http://127.0.0.1:${adminPort}/ready`)).status === 200, 60_000);
  const overview = await eventually(
    'the egress Online in the control plane',
    async () => {
      const res = await fetch(`http://127.0.0.1:${apiPort}/zoneegresses/${downward.POD_NAME}/_overview`);
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as { zoneEgress: { zone: string; networking: { address: string } }; zoneEgressInsight?: { subscriptions?: { connectTime?: string; disconnectTime?: string }[] } };
      const subs = body.zoneEgressInsight?.subscriptions ?? [];
      return subs.length > 0 && subs.at(-1)!.disconnectTime === undefined ? body : undefined;
    },
    60_000,
  );
  assert.equal(overview.zoneEgress.zone, 'zone-1');
  assert.equal(overview.zoneEgress.networking.address, '127.0.0.1');
  assert.equal(await egress.stop(), 0);
  assert.equal(await cp.stop(), 0);
});
