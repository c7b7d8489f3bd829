import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { startControlPlane, type ControlPlaneOptions } from '../../../src/control-plane/index.js';
import { createMemoryStore } from '../../../src/control-plane/store/memory.js';
import { ensureSigningKey, zoneTokenService } from '../../../src/control-plane/tokens/index.js';
import { decodeToken, TokenError } from '../../../src/tokens/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { claims, fixture, KEY2_PEM, rawJws } from '../../tokens/helpers.js';

async function start(t: TestContext, opts: Partial<ControlPlaneOptions> = {}) {
  const cp = await startControlPlane({ dataDir: tmpDir(t), apiPort: 0, dpPort: 0, store: 'memory', zone: 'zone-1', ...opts, options: { dpAddress: '127.0.0.1', ...opts.options } });
  t.after(() => cp.stop());
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(cp.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) };
  };
  return { cp, call };
}

const mint = (zone = 'zone-1', scope = ['egress'], validFor = '720h') => ({ zone, scope, validFor });

async function rejectionOf(p: Promise<unknown>): Promise<TokenError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof TokenError, `expected a TokenError, got ${String(err)}`);
  return err;
}

describe('POST /tokens/zone', () => {
  test('mints a Kuma-format token, as text/plain, that the control plane verifies', async (t) => {
    const { cp, call } = await start(t);
    const res = await call('POST', '/tokens/zone', mint());
    assert.equal(res.status, 200);
    assert.match(res.type, /^text\/plain/);
    const { header, payload } = decodeToken(res.text);
    assert.deepEqual(header, { alg: 'RS256', kid: '1', typ: 'JWT' });
    assert.deepEqual(Object.keys(payload as object), ['Zone', 'Scope', 'exp', 'nbf', 'iat', 'jti']);
    const p = payload as { exp: number; iat: number; nbf: number };
    assert.equal(p.exp - p.iat, 720 * 3600 + 5);
    assert.equal(p.iat, p.nbf);
    const { verifier } = await zoneTokenService(cp.ctx);
    assert.equal((await verifier.verify(res.text, 'egress')).claims.Zone, 'zone-1');
  });

  test('rejects bad requests with problem details naming the field', async (t) => {
    const { call } = await start(t);
    const noScope = await call('POST', '/tokens/zone', { zone: 'zone-1', validFor: '1h' });
    assert.equal(noScope.status, 400);
    assert.deepEqual(noScope.json(), {
      type: '/std-errors',
      status: 400,
      title: 'Invalid request',
      detail: 'Resource is not valid',
      invalid_parameters: [{ field: 'scope', reason: 'cannot be empty: pass one or more of egress, ingress, cp' }],
      details: 'Resource is not valid',
      causes: [{ field: 'scope', message: 'cannot be empty: pass one or more of egress, ingress, cp' }],
    });
    const unknown = (await call('POST', '/tokens/zone', mint('zone-1', ['egress', 'admin']))).json();
    assert.deepEqual(unknown.invalid_parameters, [{ field: 'scope[1]', reason: '"admin" is not a valid scope; valid scopes: egress, ingress, cp' }]);
    const noValidFor = await call('POST', '/tokens/zone', { zone: 'zone-1', scope: ['egress'] });
    assert.equal(noValidFor.status, 400);
    assert.match(noValidFor.json().invalid_parameters[0].reason, /^cannot be empty: pass how long the token is valid in Go duration syntax, e\.g\. "720h"/);
    const badValidFor = (await call('POST', '/tokens/zone', mint('zone-1', ['egress'], '30 days'))).json();
    assert.deepEqual(badValidFor.causes, [{ field: 'validFor', message: 'is invalid: time: invalid duration "30 days" (use Go syntax such as "720h" or "1h30m")' }]);
  });

  test('without validFor mints Kuma\'s 10-year token only when the server allows unbounded tokens', async (t) => {
    const { call } = await start(t, { options: { allowUnboundedTokens: true } });
    const res = await call('POST', '/tokens/zone', { zone: '', scope: ['ingress'] });
    assert.equal(res.status, 200);
    const p = decodeToken(res.text).payload as { exp: number; iat: number };
    assert.equal(p.exp - p.iat, 10 * 365 * 24 * 3600 + 5);
  });

  test('is admin only', async (t) => {
    const { call } = await start(t, { localhostIsAdmin: false });
    const res = await call('POST', '/tokens/zone', mint());
    assert.equal(res.status, 403);
    assert.match(res.json().detail, /cannot access POST \/tokens\/zone: admin rights are needed/);
  });
});

describe('signing keys and rotation', () => {
  test('key 1 is created once, even by instances starting together on one store', async () => {
    const store = createMemoryStore();
    const created = await Promise.all([1, 2, 3, 4].map(() => ensureSigningKey(store)));
    assert.deepEqual(created.filter(Boolean).length, 1);
    const { items } = await store.list({ type: 'GlobalSecret' });
    assert.deepEqual(items.map((i) => i.resource.name), ['zone-token-signing-key-1']);
    assert.match(Buffer.from(String(items[0].resource.data), 'base64').toString(), /^-----BEGIN RSA PRIVATE KEY-----\n/);
    await store.close();
  });

  test('tokens of key 1 verify after key 2 is added, new ones use key 2, and key-1 tokens fail after key 1 is deleted', async (t) => {
    const { cp, call } = await start(t);
    const { verifier } = await zoneTokenService(cp.ctx);
    const old = (await call('POST', '/tokens/zone', mint())).text;
    const put = await call('PUT', '/global-secrets/zone-token-signing-key-2', { type: 'GlobalSecret', name: 'zone-token-signing-key-2', data: Buffer.from(KEY2_PEM).toString('base64') });
    assert.equal(put.status, 201);
    const fresh = (await call('POST', '/tokens/zone', mint())).text;
    assert.equal(decodeToken(fresh).header.kid, '2');
    assert.equal((await verifier.verify(old, 'egress')).kid, 1);
    assert.equal((await verifier.verify(fresh, 'egress')).kid, 2);
    assert.equal((await call('DELETE', '/global-secrets/zone-token-signing-key-1')).status, 200);
    const err = await rejectionOf(verifier.verify(old, 'egress'));
    assert.equal(err.reason, 'kid-unknown');
    assert.equal(err.message, 'there is no signing key with serial number 1. GlobalSecret of name "zone-token-signing-key-1" is not found. If signing key was rotated, regenerate the token');
    assert.equal((await verifier.verify(fresh, 'egress')).kid, 2);
  });

  test('a revocation stored in zone-token-revocations takes effect at once', async (t) => {
    const { cp, call } = await start(t);
    const { verifier } = await zoneTokenService(cp.ctx);
    const token = (await call('POST', '/tokens/zone', mint())).text;
    const other = (await call('POST', '/tokens/zone', mint())).text;
    const { claims: c } = await verifier.verify(token, 'egress');
    await call('PUT', '/global-secrets/zone-token-revocations', { type: 'GlobalSecret', name: 'zone-token-revocations', data: Buffer.from(`some-other-id,${c.jti}\n`).toString('base64') });
    assert.equal((await rejectionOf(verifier.verify(token, 'egress'))).reason, 'revoked');
    assert.equal((await verifier.verify(other, 'egress')).kid, 1);
  });

  test('--zone-token-public-key accepts tokens signed elsewhere (Kuma\'s key), beside the stored key 1', async (t) => {
    const dir = tmpDir(t);
    const file = join(dir, 'kuma.pem');
    writeFileSync(file, fixture('publickey-pkix.pem'));
    const { cp, call } = await start(t, { options: { zoneTokenPublicKeys: [`1=${file}`] } });
    const { verifier } = await zoneTokenService(cp.ctx);
    const kuma = rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ exp: Math.floor(Date.now() / 1000) + 60, nbf: undefined, iat: undefined }), { rsaPem: fixture('samplekey.pem') });
    assert.equal((await verifier.verify(kuma, 'egress')).claims.Zone, 'zone-1');
    const ours = (await call('POST', '/tokens/zone', mint())).text;
    assert.equal((await verifier.verify(ours, 'egress')).kid, 1);
  });

  test('a missing public key file stops the start with a usage error', async (t) => {
    await assert.rejects(
      startControlPlane({ dataDir: tmpDir(t), apiPort: 0, dpPort: 0, store: 'memory', options: { dpAddress: '127.0.0.1', zoneTokenPublicKeys: ['1=/nonexistent/k.pem'] } }),
      (err: Error) => err.name === 'UsageError' && /--zone-token-public-key: cannot read \/nonexistent\/k\.pem: ENOENT/.test(err.message),
    );
  });
});

describe('POST /tokens/zone/verify', () => {
  test('answers the verdict of the control plane\'s verifier', async (t) => {
    const { call } = await start(t);
    const token = (await call('POST', '/tokens/zone', mint('zone-1', ['ingress']))).text;
    const ok = (await call('POST', '/tokens/zone/verify', { token, scope: 'ingress' })).json();
    assert.equal(ok.valid, true);
    assert.equal(ok.kid, 1);
    const no = (await call('POST', '/tokens/zone/verify', { token, scope: 'egress' })).json();
    assert.deepEqual(no, { valid: false, reason: 'out-of-scope', message: "token cannot be used to authenticate zone entity (egress is out of token's scope: [ingress])" });
    assert.equal((await call('POST', '/tokens/zone/verify', { scope: 'egress' })).status, 400);
  });
});
