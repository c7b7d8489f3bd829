import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixedClock } from '../../src/core/clock.js';
import {
  createZoneTokenVerifier,
  decodeToken,
  signZoneToken,
  staticKeySource,
  TokenError,
  type TokenRejectReason,
} from '../../src/tokens/index.js';
import { claims, fixture, KEY1_PEM, KEY2_PEM, MemoryKeySource, NOW, nowSeconds, rawJws, signingKey } from './helpers.js';

const clock = fixedClock(new Date(NOW).toISOString());
const HOUR = 3_600_000;

async function setup() {
  const source = new MemoryKeySource();
  await source.add(1, KEY1_PEM);
  await source.add(2, KEY2_PEM);
  const verifier = createZoneTokenVerifier({ keySource: source, zone: 'zone-1', clock });
  return { source, verifier };
}

async function rejection(p: Promise<unknown>): Promise<TokenError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof TokenError, `expected a TokenError, got ${String(err)}`);
    return err;
  }
  assert.fail('the token was accepted');
}

describe('zone token verifier', () => {
  test('accepts a token minted by our issuer and returns its claims', async () => {
    const { verifier } = await setup();
    const token = await signZoneToken({ zone: 'zone-1', scope: ['egress'], validForMs: 720 * HOUR }, await signingKey(KEY2_PEM, 2), { clock });
    const { kid, claims: c } = await verifier.verify(token, 'egress');
    assert.equal(kid, 2);
    assert.equal(c.Zone, 'zone-1');
    assert.deepEqual(c.Scope, ['egress']);
    assert.equal(c.exp, nowSeconds + 720 * 3600);
  });

  test('a token without Zone is valid in any zone', async () => {
    const { verifier } = await setup();
    const token = rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ Zone: '' }), { rsaPem: KEY1_PEM });
    assert.equal((await verifier.verify(token, 'egress')).claims.Zone, '');
  });

  test('exp and nbf allow 5 s of clock skew, not 6', async () => {
    const { verifier } = await setup();
    const at = (over: Record<string, unknown>) => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims(over), { rsaPem: KEY1_PEM });
    await verifier.verify(at({ exp: nowSeconds - 5 }), 'egress');
    await verifier.verify(at({ nbf: nowSeconds + 5 }), 'egress');
    assert.equal((await rejection(verifier.verify(at({ exp: nowSeconds - 6 }), 'egress'))).reason, 'expired');
    assert.equal((await rejection(verifier.verify(at({ nbf: nowSeconds + 6 }), 'egress'))).reason, 'not-yet-valid');
  });

  // Each row: a forged or wrong token, the reason it must be rejected with, and the message users see.
  const hs256WithPublicKey = () => rawJws({ alg: 'HS256', kid: '1', typ: 'JWT' }, claims(), { hmacSecret: fixture('publickey.pem') });
  const good = () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims(), { rsaPem: KEY1_PEM });
  const rows: Array<{ name: string; token: () => string; reason: TokenRejectReason; message: RegExp; status?: number }> = [
    { name: 'alg none', token: () => rawJws({ alg: 'none', kid: '1', typ: 'JWT' }, claims()), reason: 'alg-none', message: /^token is unsigned \(alg "none"\)/ },
    { name: 'HS256 signed with the public key as the secret', token: hs256WithPublicKey, reason: 'alg-hmac', message: /signed with HS256, a shared-secret algorithm/ },
    { name: 'RS512 instead of RS256', token: () => rawJws({ alg: 'RS512', kid: '1', typ: 'JWT' }, claims(), { rsaPem: KEY1_PEM }), reason: 'alg-unsupported', message: /"RS512" is not allowed/ },
    { name: 'no kid', token: () => rawJws({ alg: 'RS256', typ: 'JWT' }, claims(), { rsaPem: KEY1_PEM }), reason: 'kid-missing', message: /no "kid"/ },
    { name: 'wrong kid (not a serial)', token: () => rawJws({ alg: 'RS256', kid: 'key-one', typ: 'JWT' }, claims(), { rsaPem: KEY1_PEM }), reason: 'kid-invalid', message: /kid header is invalid.*"key-one"/ },
    { name: 'wrong kid (a number, not a string)', token: () => rawJws({ alg: 'RS256', kid: 1, typ: 'JWT' }, claims(), { rsaPem: KEY1_PEM }), reason: 'kid-invalid', message: /got 1$/ },
    { name: 'wrong kid (names the other key)', token: () => rawJws({ alg: 'RS256', kid: '2', typ: 'JWT' }, claims(), { rsaPem: KEY1_PEM }), reason: 'signature-invalid', message: /does not verify with signing key 2/ },
    { name: 'unknown kid', token: () => rawJws({ alg: 'RS256', kid: '7', typ: 'JWT' }, claims(), { rsaPem: KEY1_PEM }), reason: 'kid-unknown', message: /no signing key with serial number 7/ },
    {
      name: 'tampered payload (zone-2 -> zone-1)',
      token: () => {
        const [h, , s] = rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ Zone: 'zone-2' }), { rsaPem: KEY1_PEM }).split('.');
        return `${h}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.${s}`;
      },
      reason: 'signature-invalid',
      message: /the token was altered/,
    },
    {
      name: 'tampered signature',
      token: () => {
        const [h, p, s] = good().split('.');
        const sig = Buffer.from(s, 'base64url');
        sig[10] ^= 0xff;
        return `${h}.${p}.${sig.toString('base64url')}`;
      },
      reason: 'signature-invalid',
      message: /does not verify with signing key 1/,
    },
    { name: 'expired', token: () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ exp: nowSeconds - 3 * 3600 }), { rsaPem: KEY1_PEM }), reason: 'expired', message: /^token expired at 2025-12-31T21:00:00Z \(3h ago\)/ },
    { name: 'not yet valid', token: () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ nbf: nowSeconds + 7200, iat: nowSeconds + 7200 }), { rsaPem: KEY1_PEM }), reason: 'not-yet-valid', message: /not valid before 2026-01-01T02:00:00Z \(in 2h\)/ },
    { name: 'ingress-only scope', token: () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ Scope: ['ingress'] }), { rsaPem: KEY1_PEM }), reason: 'out-of-scope', message: /^token cannot be used to authenticate zone entity \(egress is out of token's scope: \[ingress\]\)$/, status: 403 },
    { name: 'empty scope', token: () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ Scope: [] }), { rsaPem: KEY1_PEM }), reason: 'scope-empty', message: /egress is out of token's scope: \[\]\); the token has no scope/, status: 403 },
    { name: 'null scope (Go nil slice)', token: () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ Scope: null }), { rsaPem: KEY1_PEM }), reason: 'scope-empty', message: /scope: \[\]\)/, status: 403 },
    { name: 'wrong zone', token: () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ Zone: 'zone-2' }), { rsaPem: KEY1_PEM }), reason: 'zone-mismatch', message: /^zone from requestor: zone-1 is different than in token: zone-2$/, status: 403 },
    { name: 'revoked', token: () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ jti: 'revoked-jti' }), { rsaPem: KEY1_PEM }), reason: 'revoked', message: /^token is revoked \(jti revoked-jti\)/ },
    { name: 'truncated (end of the signature cut off)', token: () => good().slice(0, -20), reason: 'truncated', message: /signature has 241 bytes.*has 256/ },
    { name: 'truncated (cut inside the payload)', token: () => good().split('.').slice(0, 2).join('.').slice(0, -3), reason: 'truncated', message: /has 2 of 3 segments/ },
    { name: 'not a JWT', token: () => 'this is not a token', reason: 'malformed', message: /^token is not a JWT/ },
    { name: 'huge header', token: () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT', pad: 'x'.repeat(20_000) }, claims(), { rsaPem: KEY1_PEM }), reason: 'too-large', message: /^token is too large/ },
    { name: 'no exp', token: () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ exp: undefined }), { rsaPem: KEY1_PEM }), reason: 'claims-invalid', message: /exp is missing/ },
    { name: 'unknown critical header', token: () => rawJws({ alg: 'RS256', kid: '1', typ: 'JWT', crit: ['x-custom'], 'x-custom': 1 }, claims(), { rsaPem: KEY1_PEM }), reason: 'malformed', message: /not a valid JWS/ },
  ];

  test(`rejects ${rows.length} forged or wrong tokens, each with its own reason`, async (t) => {
    assert.ok(rows.length >= 15);
    const { source, verifier } = await setup();
    source.revoked.add('revoked-jti');
    for (const row of rows) {
      await t.test(row.name, async () => {
        const err = await rejection(verifier.verify(row.token(), 'egress'));
        assert.equal(err.reason, row.reason, err.message);
        assert.match(err.message, row.message);
        assert.equal(err.status, row.status ?? 401);
        assert.equal(err.exitCode, 3);
      });
    }
  });

  test('a token that passes every check but one names exactly that check', async () => {
    // The same authentic token, judged by verifiers that differ in one setting.
    const { source } = await setup();
    const token = rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ Zone: 'zone-1', Scope: ['egress'] }), { rsaPem: KEY1_PEM });
    const v = (zone?: string) => createZoneTokenVerifier({ keySource: source, zone, clock });
    assert.equal((await v('zone-1').verify(token, 'egress')).kid, 1);
    assert.equal((await v(undefined).verify(token)).claims.jti, claims().jti);
    assert.equal((await rejection(v('zone-9').verify(token, 'egress'))).reason, 'zone-mismatch');
    assert.equal((await rejection(v('zone-1').verify(token, 'ingress'))).reason, 'out-of-scope');
  });
});

describe('interoperability with Kuma', () => {
  // A token exactly as kuma-cp 2.14 writes it (header key order, claim order), signed with Kuma's test key.
  const kumaToken = rawJws({ alg: 'RS256', kid: '1', typ: 'JWT' }, claims({ Zone: 'zone-1', Scope: ['egress', 'ingress', 'cp'] }), { rsaPem: fixture('samplekey.pem') });

  for (const file of ['publickey.pem', 'publickey-pkix.pem']) {
    test(`a token signed by Kuma's test key verifies with its public key (${file})`, async () => {
      const keySource = await staticKeySource([{ kid: 1, pem: fixture(file), what: file }]);
      const verifier = createZoneTokenVerifier({ keySource, zone: 'zone-1', clock });
      const { kid, claims: c } = await verifier.verify(kumaToken, 'egress');
      assert.equal(kid, 1);
      assert.deepEqual(c.Scope, ['egress', 'ingress', 'cp']);
    });
  }

  test("Kuma's second key does not verify tokens of the first", async () => {
    const keySource = await staticKeySource([{ kid: 1, pem: fixture('publickey-2.pem'), what: 'publickey-2.pem' }]);
    const err = await rejection(createZoneTokenVerifier({ keySource, clock }).verify(kumaToken, 'egress'));
    assert.equal(err.reason, 'signature-invalid');
  });

  test('our tokens have Kuma\'s header and claim order', async () => {
    const token = await signZoneToken({ zone: 'zone-1', scope: ['egress'], validForMs: HOUR }, await signingKey(KEY1_PEM, 1), { clock, jti: 'fixed' });
    const [h, p] = token.split('.');
    assert.equal(Buffer.from(h, 'base64url').toString(), '{"alg":"RS256","kid":"1","typ":"JWT"}');
    assert.equal(
      Buffer.from(p, 'base64url').toString(),
      `{"Zone":"zone-1","Scope":["egress"],"exp":${nowSeconds + 3600},"nbf":${nowSeconds - 5},"iat":${nowSeconds - 5},"jti":"fixed"}`,
    );
    assert.equal(decodeToken(token).signature.length, 256);
  });

  test('an unknown kid from a static source says which serials are known', async () => {
    const keySource = await staticKeySource([{ kid: 1, pem: fixture('publickey.pem'), what: 'publickey.pem' }]);
    const token = rawJws({ alg: 'RS256', kid: '3', typ: 'JWT' }, claims(), { rsaPem: KEY1_PEM });
    const err = await rejection(createZoneTokenVerifier({ keySource, clock }).verify(token, 'egress'));
    assert.equal(err.reason, 'kid-unknown');
    assert.match(err.message, /known serials: 1\. Pass the public key of signing key 3/);
  });
});

describe('rotation and revocation', () => {
  test('key-1 tokens verify after key 2 is added and fail after key 1 is deleted', async () => {
    const source = new MemoryKeySource();
    await source.add(1, KEY1_PEM);
    const verifier = createZoneTokenVerifier({ keySource: source, zone: 'zone-1', clock });
    const old = await signZoneToken({ zone: 'zone-1', scope: ['egress'], validForMs: HOUR }, await signingKey(KEY1_PEM, 1), { clock });
    await source.add(2, KEY2_PEM);
    const fresh = await signZoneToken({ zone: 'zone-1', scope: ['egress'], validForMs: HOUR }, await signingKey(KEY2_PEM, 2), { clock });
    assert.equal((await verifier.verify(old, 'egress')).kid, 1);
    assert.equal((await verifier.verify(fresh, 'egress')).kid, 2);
    source.keys.delete(1);
    assert.equal((await rejection(verifier.verify(old, 'egress'))).reason, 'kid-unknown');
    assert.equal((await verifier.verify(fresh, 'egress')).kid, 2);
  });

  test('a revoked jti is rejected, other tokens of the same key are not', async () => {
    const source = new MemoryKeySource();
    await source.add(1, KEY1_PEM);
    const verifier = createZoneTokenVerifier({ keySource: source, clock });
    const key = await signingKey(KEY1_PEM, 1);
    const a = await signZoneToken({ zone: '', scope: ['egress'], validForMs: HOUR }, key, { clock });
    const b = await signZoneToken({ zone: '', scope: ['egress'], validForMs: HOUR }, key, { clock });
    source.revoked.add((await verifier.verify(a, 'egress')).claims.jti);
    assert.equal((await rejection(verifier.verify(a, 'egress'))).reason, 'revoked');
    assert.equal((await verifier.verify(b, 'egress')).kid, 1);
  });
});
