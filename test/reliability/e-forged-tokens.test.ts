/**
 * Part e: forged zone tokens against a live dp-server (a real control plane's `POST /bootstrap`
 * and its config stream): alg none, HS256 keyed with the public key, wrong or missing kid,
 * another key, expired, not yet valid, wrong zone, wrong scope, revoked, tampered payload,
 * huge tokens, broken encodings. None may be accepted; a genuine token is, before and after.
 */
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { describe, test } from 'node:test';
import { request } from '../helpers/cp.js';
import { mintToken, record, rememberGlobalSecrets, rememberSecret, startCp, tempDir, type Cp } from './harness.js';

const PART = 'e. Forged zone tokens against the live dp-server';

const STREAM = '/egress/v1/stream?name=ze-genuine&version=0.1.0';
const b64u = (v: string | Buffer) => Buffer.from(v).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const decode = (p: string) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;

function jwt(header: Record<string, unknown>, payload: Record<string, unknown>, signer: (input: string) => Buffer | string): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const sig = signer(input);
  return `${input}.${typeof sig === 'string' ? sig : b64u(sig)}`;
}
/** A token over exactly these header and payload texts (JSON the test's own stack could not build). */
function signedText(headerJson: string, payloadJson: string, signer: (input: string) => Buffer): string {
  const input = `${b64u(headerJson)}.${b64u(payloadJson)}`;
  return `${input}.${b64u(signer(input))}`;
}
const rs256 = (key: KeyObject) => (input: string) => sign('RSA-SHA256', Buffer.from(input), key);
const hs256 = (secret: string | Buffer) => (input: string) => createHmac('sha256', secret).update(input).digest();

function dpRequest(cp: Cp, method: 'POST' | 'GET', path: string, token: string, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpsRequest(`${cp.dpUrl}${path}`, { method, ca: cp.ca, agent: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
      res.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(15_000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const bootstrapBody = (name: string) => JSON.stringify({ proxyType: 'egress', dataplaneResource: { type: 'ZoneEgress', name, zone: 'zone-1', networking: { address: '127.0.0.1', port: 10002, admin: { port: 9901 } } }, version: { kumaDp: { version: '0.1.0' } } });

describe(PART, { concurrency: false }, () => {
  test('no forged token is accepted at bootstrap or on the stream; a genuine one is', async (t) => {
    const dir = tempDir(t);
    const cp = await startCp(t, { dataDir: `${dir}/cp` });
    const genuine = await mintToken(cp);
    await rememberGlobalSecrets(cp);
    assert.equal(await dpRequest(cp, 'POST', '/bootstrap', genuine, bootstrapBody('ze-genuine')), 200, 'the genuine token is accepted (the test can tell)');

    const secret = (await request(`${cp.url}/global-secrets/zone-token-signing-key-1`)).json as { data: string };
    const priv = createPrivateKey(Buffer.from(secret.data, 'base64').toString('utf8'));
    const pub = createPublicKey(priv);
    const pubPem = pub.export({ type: 'spki', format: 'pem' }).toString();
    const pubPkcs1 = pub.export({ type: 'pkcs1', format: 'pem' }).toString();
    const pubDer = pub.export({ type: 'spki', format: 'der' });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const [h0, p0, s0] = parts(genuine);
    const header = decode(h0);
    const claims = decode(p0);
    const now = Math.floor(Date.now() / 1000);
    const fresh = () => ({ ...claims, jti: randomUUID(), iat: now, nbf: now - 60, exp: now + 3600 });
    const real = rs256(priv);

    // Revoked: a genuine token whose jti is then put on the revocation list.
    const revoked = await mintToken(cp);
    const revokedJti = String(decode(parts(revoked)[1]).jti);
    const put = await request(`${cp.url}/global-secrets/zone-token-revocations`, { method: 'PUT', body: { type: 'GlobalSecret', name: 'zone-token-revocations', data: Buffer.from(revokedJti).toString('base64') } });
    assert.ok(put.status === 201 || put.status === 200, `revocation list: ${put.status} ${put.text}`);

    const forged: [string, string][] = [
      ['alg none, no signature', jwt({ alg: 'none', typ: 'JWT' }, fresh(), () => '')],
      ['alg none with kid, genuine signature kept', `${b64u(JSON.stringify({ ...header, alg: 'none' }))}.${p0}.${s0}`],
      ['alg NONE (case)', jwt({ alg: 'NONE', kid: header.kid }, fresh(), () => '')],
      ['HS256 keyed with the public key (SPKI PEM)', jwt({ ...header, alg: 'HS256' }, fresh(), hs256(pubPem))],
      ['HS256 keyed with the public key (PKCS#1 PEM)', jwt({ ...header, alg: 'HS256' }, fresh(), hs256(pubPkcs1))],
      ['HS256 keyed with the public key (DER)', jwt({ ...header, alg: 'HS256' }, fresh(), hs256(pubDer))],
      ['HS512 keyed with the public key', jwt({ ...header, alg: 'HS512' }, fresh(), (i) => createHmac('sha512', pubPem).update(i).digest())],
      ['wrong kid, signed with the real key', jwt({ ...header, kid: '999' }, fresh(), real)],
      ['kid path traversal', jwt({ ...header, kid: '../../../../etc/passwd' }, fresh(), real)],
      ['no kid', jwt({ alg: 'RS256', typ: 'JWT' }, fresh(), real)],
      ['another RSA key, same kid', jwt(header, fresh(), rs256(other))],
      ['another key embedded as jwk header', jwt({ ...header, jwk: other.export({ format: 'jwk' }) }, fresh(), rs256(other))],
      ['jku header to another key', jwt({ ...header, jku: 'http://127.0.0.1:1/keys' }, fresh(), rs256(other))],
      ['unknown crit header', jwt({ ...header, crit: ['x-evil'], 'x-evil': 1 }, fresh(), real)],
      ['expired', jwt(header, { ...fresh(), iat: now - 7200, nbf: now - 7200, exp: now - 3600 }, real)],
      ['not yet valid', jwt(header, { ...fresh(), nbf: now + 3600, exp: now + 7200 }, real)],
      ['wrong zone', jwt(header, { ...fresh(), Zone: 'zone-9' }, real)],
      ['wrong scope (ingress)', jwt(header, { ...fresh(), Scope: ['ingress'] }, real)],
      ['empty scope', jwt(header, { ...fresh(), Scope: [] }, real)],
      ['scope as a string', jwt(header, { ...fresh(), Scope: 'egress' }, real)],
      ['revoked', revoked],
      ['tampered payload, zone changed', `${h0}.${b64u(JSON.stringify({ ...claims, Zone: 'zone-9' }))}.${s0}`],
      ['tampered payload, expiry extended', `${h0}.${b64u(JSON.stringify({ ...claims, exp: now + 10 * 365 * 86400 }))}.${s0}`],
      ['tampered payload, scope widened', `${h0}.${b64u(JSON.stringify({ ...claims, Scope: ['egress', 'cp', 'ingress'] }))}.${s0}`],
      ['signature of another token', `${h0}.${p0}.${parts(revoked)[2]}`],
      ['signature bit-flipped', `${h0}.${p0}.${b64u(Buffer.from(Buffer.from(s0, 'base64url').map((b, i) => (i === 10 ? b ^ 1 : b))))}`],
      ['signature stripped', `${h0}.${p0}.`],
      ['two parts', `${h0}.${p0}`],
      ['four parts', `${genuine}.${s0}`],
      ['JWE-shaped (five parts)', `${h0}.${p0}.${s0}.${s0}.${s0}`],
      ['not base64url', 'e30=.e30=.!!!!'],
      ['header not JSON', `${b64u('not json')}.${p0}.${s0}`],
      ['payload nested 100,000 deep', signedText(JSON.stringify(header), `${JSON.stringify(fresh()).slice(0, -1)},"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, real)],
      ['60 KB token (padding claim, real key)', jwt(header, { ...fresh(), Zone: 'zone-9', pad: 'p'.repeat(60_000) }, real)],
      ['1 MB token', `${h0}.${'A'.repeat(1024 * 1024)}.${s0}`],
      ['unicode zone lookalike', jwt(header, { ...fresh(), Zone: 'zone\u20111' }, real)],
      ['exp as a string', jwt(header, { ...fresh(), exp: String(now + 3600) }, real)],
      ['exp absurdly far', jwt(header, { ...fresh(), exp: 1e300 }, rs256(other))],
      ['the admin token as a zone token', (await import('node:fs')).readFileSync(`${cp.dataDir}/admin-token`, 'utf8').trim()],
      ['empty bearer', ''],
    ];
    for (const [label, token] of forged) if (token.length > 20) rememberSecret(`forged token: ${label}`, token);

    const answers = new Map<number, number>();
    let tries = 0;
    for (const [label, token] of forged) {
      for (const [method, path, body] of [['POST', '/bootstrap', bootstrapBody(`ze-forged-${tries}`)], ['GET', STREAM, undefined]] as const) {
        const status = await dpRequest(cp, method, path, token, body);
        tries++;
        answers.set(status, (answers.get(status) ?? 0) + 1);
        assert.ok(status === 0 || (status >= 400 && status < 500), `${label} on ${method} ${path}: ${status}`);
      }
      assert.ok(cp.proc.running(), `the control plane died on: ${label}`);
    }
    // Still only the genuine registration; and the genuine token still works.
    const egresses = (await request(`${cp.url}/zoneegresses`)).json as { items: { name: string }[] };
    assert.deepEqual(egresses.items.map((e) => e.name), ['ze-genuine']);
    assert.equal(await dpRequest(cp, 'POST', '/bootstrap', genuine, bootstrapBody('ze-genuine-2')), 200);
    assert.equal(await dpRequest(cp, 'GET', STREAM, genuine), 200, 'the genuine token opens the stream');

    record(PART, 'forged tokens', forged.length);
    record(PART, 'requests (bootstrap and stream each)', tries);
    record(PART, 'accepted', 0);
    record(PART, 'answers', [...answers].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === 0 ? 'connection closed' : s} x${n}`).join(', '));
  });
});
