import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ValidationError } from '../../../src/core/errors.js';
import { certificateInfo, createCA } from '../../../src/core/pki.js';
import { CHANGE_CA_MESSAGE, IdentityIssuer, checkMeshCaChange, deleteMeshCa, ensureMeshCa, issueWorkloadCertificate, validateMeshCa } from '../../../src/control-plane/ca/index.js';
import { createMemoryStore } from '../../../src/control-plane/store/memory.js';
import type { Resource } from '../../../src/resources/types.js';
import { tmpDir } from '../../helpers/tmp.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function builtinMesh(name: string, extra: Record<string, unknown> = {}): Resource {
  return { type: 'Mesh', name, mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin', ...extra }] } };
}

function providedMesh(name: string, cert: unknown, key: unknown): Resource {
  return { type: 'Mesh', name, mtls: { enabledBackend: 'ca-p', backends: [{ name: 'ca-p', type: 'provided', conf: { cert, key } }] } };
}

async function violationsOf(p: Promise<unknown>): Promise<{ field: string; message: string }[]> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    return err.violations;
  }
  assert.fail('expected a ValidationError');
}

describe('mesh CA', () => {
  test('builtin: created once (even when asked concurrently) and kept as two GlobalSecrets named like Kuma', async () => {
    const store = createMemoryStore();
    const mesh = builtinMesh('mesh-1', { conf: { caCert: { RSAbits: 2048, expiration: '48h' } } });
    const [a, b] = await Promise.all([ensureMeshCa(store, mesh), ensureMeshCa(store, mesh)]);
    assert.ok(a && b);
    assert.equal(a.certPem, b.certPem);
    const names = (await store.list({ type: 'GlobalSecret' })).items.map((i) => i.resource.name);
    assert.deepEqual(names.sort(), ['mesh-1.ca-builtin-cert-ca-1', 'mesh-1.ca-builtin-key-ca-1']);
    const cert = new X509Certificate(a.certPem);
    assert.equal(cert.ca, true);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    const lifetimeH = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 3_600_000;
    assert.equal(Math.round(lifetimeH), 48);
    assert.equal((await ensureMeshCa(store, mesh))?.fingerprint, a.fingerprint);
    await deleteMeshCa(store, 'mesh-1');
    assert.equal((await store.list({ type: 'GlobalSecret' })).total, 0);
  });

  test('a mesh without mTLS has no CA', async () => {
    assert.equal(await ensureMeshCa(createMemoryStore(), { type: 'Mesh', name: 'plain' }), undefined);
  });

  test('provided: cert and key from secret, file, inline and inlineString data sources', async (t) => {
    const store = createMemoryStore();
    const ca = await createCA({ commonName: 'provided', validForMs: 86_400_000 });
    const dir = tmpDir(t);
    writeFileSync(join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
    await store.create({ type: 'GlobalSecret', name: 'my-ca-cert', data: b64(ca.certPem) });
    const mesh = providedMesh('p', { secret: 'my-ca-cert' }, { file: join(dir, 'ca.key') });
    await validateMeshCa(store, mesh);
    assert.equal((await ensureMeshCa(store, mesh))?.certPem, ca.certPem);
    const inline = providedMesh('p2', { inline: b64(ca.certPem) }, { inlineString: ca.keyPem });
    assert.equal((await ensureMeshCa(store, inline))?.keyPem, ca.keyPem);
    // Provided CAs are never copied into secrets.
    assert.equal((await store.list({ type: 'GlobalSecret' })).total, 1);
  });

  test('provided: a cert/key mismatch, a leaf certificate or a missing secret is a 400 with the field', async () => {
    const store = createMemoryStore();
    const ca = await createCA({ commonName: 'a', validForMs: 86_400_000 });
    const other = await createCA({ commonName: 'b', validForMs: 86_400_000 });
    assert.deepEqual(await violationsOf(validateMeshCa(store, providedMesh('p', { inlineString: ca.certPem }, { inlineString: other.keyPem }))), [
      { field: 'mtls.backends[0].conf.key', message: 'the key does not match the certificate (not a CA pair)' },
    ]);
    const leaf = await issueWorkloadCertificate({ ca, mesh: 'p', tags: { 'kuma.io/service': 'web' }, type: 'client', validForMs: 3_600_000 });
    assert.deepEqual(await violationsOf(validateMeshCa(store, providedMesh('p', { inlineString: leaf.certPem }, { inlineString: leaf.keyPem }))), [
      { field: 'mtls.backends[0].conf.cert', message: 'the certificate is not a CA certificate (basicConstraints CA:TRUE is missing)' },
    ]);
    const missing = await violationsOf(validateMeshCa(store, providedMesh('p', { secret: 'nope' }, { inlineString: ca.keyPem })));
    assert.equal(missing[0].field, 'mtls.backends[0].conf.cert.secret');
    assert.match(missing[0].message, /secret "nope" not found/);
    const err = await ensureMeshCa(store, providedMesh('p', { inlineString: ca.certPem }, { inlineString: other.keyPem })).catch((e: unknown) => e);
    assert.ok(err instanceof ValidationError && err.status === 400);
  });

  test('changing the CA of a mesh with mTLS enabled is refused; disabling mTLS first allows it', async () => {
    const store = createMemoryStore();
    const prev = builtinMesh('m');
    const next: Resource = { type: 'Mesh', name: 'm', mtls: { enabledBackend: 'ca-2', backends: [{ name: 'ca-1', type: 'builtin' }, { name: 'ca-2', type: 'builtin' }] } };
    assert.deepEqual(await violationsOf(validateMeshCa(store, next, prev)), [{ field: 'mtls.enabledBackend', message: CHANGE_CA_MESSAGE }]);
    const retyped: Resource = { type: 'Mesh', name: 'm', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'provided', conf: {} }] } };
    assert.deepEqual(await violationsOf(validateMeshCa(store, retyped, prev)), [{ field: 'mtls.backends[0]', message: CHANGE_CA_MESSAGE }]);
    const disabled: Resource = { type: 'Mesh', name: 'm', mtls: { backends: [{ name: 'ca-1', type: 'builtin' }, { name: 'ca-2', type: 'builtin' }] } };
    await validateMeshCa(store, disabled, prev);
    await validateMeshCa(store, next, disabled);
    // Same CA, other settings (e.g. rotation) may change.
    await validateMeshCa(store, builtinMesh('m', { dpCert: { rotation: { expiration: '1h' } } }), prev);
    // The PUT /meshes hook reads the stored Mesh itself.
    await store.create(prev);
    assert.deepEqual(await violationsOf(checkMeshCaChange(store, next)), [{ field: 'mtls.enabledBackend', message: CHANGE_CA_MESSAGE }]);
    await checkMeshCaChange(store, builtinMesh('other'));
  });
});

describe('egress identity', () => {
  test('SAN spiffe://<mesh>/zone-egress, chained to the mesh CA, reissued at 80% of its lifetime or when the CA changes', async () => {
    const store = createMemoryStore();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const issuer = new IdentityIssuer({ clock: { now: () => new Date(now) } });
    const ca = (await ensureMeshCa(store, builtinMesh('mesh-1')))!;
    const day = 86_400_000;
    const first = await issuer.identity(ca, day);
    assert.deepEqual(certificateInfo(first.certPem).uris, ['spiffe://mesh-1/zone-egress']);
    assert.ok(new X509Certificate(first.certPem).verify(new X509Certificate(ca.certPem).publicKey));
    assert.equal(first.caPem, ca.certPem);
    assert.equal(first.rotateAt.toISOString(), '2026-01-01T19:12:00.000Z');
    assert.equal(certificateInfo(first.certPem).notAfter.toISOString(), '2026-01-02T00:00:00.000Z');

    now += 0.79 * day;
    assert.equal((await issuer.identity(ca, day)).certPem, first.certPem);
    now += 0.02 * day;
    const second = await issuer.identity(ca, day);
    assert.notEqual(second.certPem, first.certPem);
    assert.equal((await issuer.identity(ca, day)).certPem, second.certPem);

    const ca2 = (await ensureMeshCa(store, builtinMesh('mesh-1b')))!;
    const moved = await issuer.identity({ ...ca2, mesh: 'mesh-1' }, day);
    assert.ok(new X509Certificate(moved.certPem).verify(new X509Certificate(ca2.certPem).publicKey));
  });
});

describe('workload certificates', () => {
  test('carry Kuma-style SANs for the service and every tag', async () => {
    const ca = await createCA({ commonName: 'm', validForMs: 86_400_000 });
    const cert = await issueWorkloadCertificate({ ca, mesh: 'm', tags: { 'kuma.io/service': 'web', version: 'v1' }, type: 'client', validForMs: 3_600_000 });
    assert.deepEqual(certificateInfo(cert.certPem).uris, ['spiffe://m/web', 'kuma://kuma.io/service/web', 'kuma://version/v1']);
    await assert.rejects(issueWorkloadCertificate({ ca, mesh: 'm', tags: {}, type: 'client', validForMs: 1000 }), /kuma.io\/service tag is required/);
  });
});
