import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { ValidationError } from '../../src/core/errors.js';
import {
  addRevocation,
  formatSigningKey,
  parsePrivateKey,
  parsePublicKey,
  parseRevocations,
  parseZoneTokenRequest,
  publicKeyPem,
  shortSpan,
  UNBOUNDED_VALID_FOR_MS,
} from '../../src/tokens/index.js';
import { fixture, KEY1_PEM } from './helpers.js';

describe('signing keys', () => {
  test('a key is read from PEM, from base64 of PEM (a secret\'s data) and from base64 of PKCS#1 DER', () => {
    const fromPem = parsePrivateKey(KEY1_PEM, 'k');
    const fromB64 = parsePrivateKey(formatSigningKey(KEY1_PEM, 'pem-base64'), 'k');
    const der = fromPem.export({ type: 'pkcs1', format: 'der' }).toString('base64');
    const fromDer = parsePrivateKey(der, 'k');
    for (const k of [fromB64, fromDer]) assert.equal(publicKeyPem(k), publicKeyPem(fromPem));
    assert.equal(publicKeyPem(fromPem), fixture('publickey.pem'));
    assert.equal(publicKeyPem(fromPem, 'pkix'), fixture('publickey-pkix.pem'));
    assert.equal(publicKeyPem(parsePublicKey(fixture('publickey-pkix.pem'), 'p')), fixture('publickey.pem'));
  });

  test('keys that are not RSA 2048+ are refused with the reason', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.throws(() => parsePrivateKey(ec, 'key.pem'), { name: 'ValidationError', message: 'key.pem is a ec key; zone tokens are signed with RSA (RS256)' });
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    assert.throws(() => parsePrivateKey(small, 'key.pem'), { message: 'key.pem is a 1024-bit RSA key; zone tokens need at least 2048 bits' });
    assert.throws(() => parsePrivateKey('hello', 'key.pem'), { message: "key.pem is not an RSA private key in PEM (generate one with 'zonectl generate signing-key')" });
  });
});

describe('POST /tokens/zone request validation', () => {
  const violations = (body: unknown, opts = {}) => {
    try {
      parseZoneTokenRequest(body, opts);
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.title, 'Invalid request');
      return err.violations;
    }
    assert.fail('accepted');
  };

  test('accepts Go durations and de-duplicates scopes', () => {
    assert.deepEqual(parseZoneTokenRequest({ zone: 'z', scope: ['egress', 'egress', 'ingress'], validFor: '24h0m0s' }), { zone: 'z', scope: ['egress', 'ingress'], validForMs: 86_400_000 });
    assert.equal(parseZoneTokenRequest({ scope: ['egress'], validFor: '1h30m' }).validForMs, 5_400_000);
    assert.equal(parseZoneTokenRequest({ scope: ['egress'] }, { allowUnboundedTokens: true }).validForMs, UNBOUNDED_VALID_FOR_MS);
  });

  test('reports every bad field at once', () => {
    assert.deepEqual(violations({ zone: 7, scope: ['admin'], validFor: '0' }), [
      { field: 'zone', message: 'must be a string' },
      { field: 'scope[0]', message: '"admin" is not a valid scope; valid scopes: egress, ingress, cp' },
      { field: 'validFor', message: 'must be at least 1s, got "0"' },
    ]);
    assert.deepEqual(violations({ scope: 'egress', validFor: '1h' }), [{ field: 'scope', message: 'must be a list of scopes, e.g. ["egress"]' }]);
  });
});

describe('revocation list and spans', () => {
  test('the comma-separated list tolerates a trailing newline and does not duplicate', () => {
    assert.deepEqual([...parseRevocations('a, b,\nc\n')], ['a', 'b', 'c']);
    assert.deepEqual(addRevocation('', 'x'), { data: 'x', added: true });
    assert.deepEqual(addRevocation('x,y\n', 'y'), { data: 'x,y', added: false });
  });

  test('spans show the two largest units', () => {
    assert.deepEqual([shortSpan(45_000), shortSpan(3 * 3_600_000), shortSpan(29 * 86_400_000 + 23 * 3_600_000 + 59_000), shortSpan(-90_000)], ['45s', '3h', '29d23h', '1m30s']);
  });
});
