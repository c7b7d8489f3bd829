import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ForbiddenError, UnauthorizedError, UsageError, ValidationError } from '../../../src/core/errors.js';
import { join } from 'node:path';
import { openSqliteStore } from '../../../src/control-plane/store/sqlite.js';
import { tmpDir } from '../../helpers/tmp.js';
import { EGRESS_TOKEN, INGRESS_TOKEN, MESH, RecordingSession, insightOf, startCp, waitForStore, zoneEgress } from './harness.js';

async function post(url: string, ca: string | undefined, path: string, token: string | undefined, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: path.includes('stream') ? 'GET' : 'POST', ca, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(path.includes('stream') ? undefined : JSON.stringify(body));
  });
}

const bootstrapBody = (resource: unknown) => ({ proxyType: 'egress', dataplaneResource: resource, version: { kumaDp: { version: '0.1.0' } } });

describe('dp-server bootstrap', () => {
  test('a token without the egress scope is a 403 whose message the egress reports verbatim; nothing is registered', async (t) => {
    const { store, dp, url } = await startCp(t);
    const res = await post(url, dp.caPem, '/bootstrap', INGRESS_TOKEN, bootstrapBody(zoneEgress('e1')));
    assert.deepEqual(res, {
      status: 403,
      body: {
        type: '/std-errors',
        status: 403,
        title: 'Access Denied',
        detail: "token cannot be used to authenticate zone entity (egress is out of token's scope: [ingress])",
        details: "token cannot be used to authenticate zone entity (egress is out of token's scope: [ingress])",
      },
    });
    const e = RecordingSession.start(t, url, dp.caPem, 'e1', INGRESS_TOKEN);
    const err = await e.session.ready.catch((x: unknown) => x);
    assert.ok(err instanceof ForbiddenError);
    assert.equal(err.message, "token cannot be used to authenticate zone entity (egress is out of token's scope: [ingress])");
    await assert.rejects(e.session.done, ForbiddenError);
    assert.equal(e.session.state, 'stopped');
    assert.equal((await store.list({ type: 'ZoneEgress' })).total, 0);
  });

  test('no token or a bad token is a 401', async (t) => {
    const { dp, url } = await startCp(t);
    const none = await post(url, dp.caPem, '/bootstrap', undefined, bootstrapBody(zoneEgress('e1')));
    assert.equal(none.status, 401);
    assert.match(String(none.body.detail), /missing zone token: send it as "Authorization: Bearer <token>"/);
    const e = RecordingSession.start(t, url, dp.caPem, 'e1', 'forged');
    await assert.rejects(e.session.ready, (err: unknown) => err instanceof UnauthorizedError && err.message === 'invalid zone token: signature verification failed');
  });

  test('the resource must be a valid ZoneEgress: other types and invalid resources are a 400 with the field', async (t) => {
    const { dp, url } = await startCp(t);
    const wrongType = await post(url, dp.caPem, '/bootstrap', EGRESS_TOKEN, bootstrapBody({ type: 'Dataplane', name: 'dp-1', mesh: 'default' }));
    assert.equal(wrongType.status, 400);
    assert.deepEqual(wrongType.body.invalid_parameters, [{ field: 'type', reason: 'must be ZoneEgress for --proxy-type=egress, got "Dataplane"' }]);
    const asText = await post(url, dp.caPem, '/bootstrap', EGRESS_TOKEN, bootstrapBody(JSON.stringify(zoneEgress('e-text'))));
    assert.equal(asText.status, 200);
    assert.deepEqual(asText.body, { name: 'e-text', zone: 'zone-1', controlPlane: { instanceId: 'cp-1', version: '0.1.0' } });
    const notJson = await post(url, dp.caPem, '/bootstrap', EGRESS_TOKEN, bootstrapBody('{nope'));
    assert.deepEqual(notJson.body.invalid_parameters, [{ field: 'dataplaneResource', reason: 'must be a ZoneEgress resource as JSON' }]);
  });

  test('a bootstrapped ZoneEgress gets the labels a PUT computes; labels contradicting the zone are a 400', async (t) => {
    const { store, dp, url } = await startCp(t);
    const ok = await post(url, dp.caPem, '/bootstrap', EGRESS_TOKEN, bootstrapBody({ ...zoneEgress('e-labels'), labels: { team: 'edge', 'kuma.io/proxy-type': 'sidecar' } }));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual((await store.get({ type: 'ZoneEgress', name: 'e-labels' })).resource.labels, {
      team: 'edge',
      'kuma.io/origin': 'zone',
      'kuma.io/zone': 'zone-1',
      'kuma.io/env': 'universal',
      'kuma.io/proxy-type': 'egress',
    });
    const other = await post(url, dp.caPem, '/bootstrap', EGRESS_TOKEN, bootstrapBody({ ...zoneEgress('e-other'), labels: { 'kuma.io/zone': 'zone-9' } }));
    assert.equal(other.status, 400);
    assert.deepEqual(other.body.invalid_parameters, [{ field: 'labels["kuma.io/zone"]', reason: 'kuma.io/zone label should have zone-1 value' }]);
  });

  test('a ZoneEgress nested thousands deep is a 400 before anything is stored (it used to end the control plane); an oversized body is a 413', async (t) => {
    const { store, dp, url } = await startCp(t, {}, openSqliteStore({ path: join(tmpDir(t), 'store.db') }));
    t.after(() => store.close());
    const nested = JSON.parse(`${'['.repeat(3500)}${']'.repeat(3500)}`) as unknown;
    for (const resource of [{ ...zoneEgress('deep'), extra: nested }, JSON.stringify({ ...zoneEgress('deep'), extra: nested })]) {
      const res = await post(url, dp.caPem, '/bootstrap', EGRESS_TOKEN, bootstrapBody(resource));
      assert.equal(res.status, 400);
      assert.match(String(res.body.detail), / nests objects or arrays deeper than 64 levels; no resource needs that, nothing was stored$/);
    }
    const big = await post(url, dp.caPem, '/bootstrap', EGRESS_TOKEN, bootstrapBody({ ...zoneEgress('big'), labels: { pad: 'x'.repeat(70_000) } }));
    assert.equal(big.status, 413);
    assert.match(String(big.body.detail), /^request body of \d+ bytes or more exceeds the limit of 65536 bytes$/);
    assert.equal((await store.list({ type: 'ZoneEgress' })).total, 0);
    const ok = await post(url, dp.caPem, '/bootstrap', EGRESS_TOKEN, bootstrapBody(zoneEgress('fine')));
    assert.equal(ok.status, 200, 'the dp-server still serves');
  });

  test('validation violations come back as a 400 that the session treats as fatal', async (t) => {
    const { dp, url } = await startCp(t, { validate: (doc) => ((doc as { networking?: { port?: number } }).networking?.port === 10002 ? [{ field: 'networking.port', message: 'port 10002 is reserved in this test' }] : []) });
    const e = RecordingSession.start(t, url, dp.caPem, 'e1');
    const err = await e.session.ready.catch((x: unknown) => x);
    assert.ok(err instanceof ValidationError);
    assert.equal(err.message, 'Resource is not valid: networking.port: port 10002 is reserved in this test');
  });

  test('a stream for an egress that never bootstrapped is a 404; an ack for a version never sent is a 409', async (t) => {
    const { store, dp, url } = await startCp(t);
    await store.create(MESH);
    const missing = await post(url, dp.caPem, '/egress/v1/stream?name=ghost', EGRESS_TOKEN, undefined);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.detail, 'zone egress ghost is not registered with this control plane: bootstrap first (POST /bootstrap)');
    const e = RecordingSession.start(t, url, dp.caPem, 'e1');
    await e.session.ready;
    const unknown = await post(url, dp.caPem, '/egress/v1/ack', EGRESS_TOKEN, { streamId: 'nope', version: 'v', accepted: true });
    assert.equal(unknown.status, 404);
    assert.equal(dp.streams(), 1);
    await waitForStore(store, async () => (await insightOf(store, 'e1')).length === 1);
    const [sub] = await insightOf(store, 'e1');
    const never = await post(url, dp.caPem, '/egress/v1/ack', EGRESS_TOKEN, { streamId: sub.id, version: 'never-sent', accepted: true });
    assert.equal(never.status, 409);
    assert.equal(never.body.detail, `version never-sent was not sent on stream ${String(sub.id)}`);
  });

  test('a token revoked while its stream is open ends the stream within a heartbeat; the egress stops with the reason', async (t) => {
    let revoked = false;
    const authenticate = async (token: string) => {
      if (revoked) throw new UnauthorizedError("token is revoked (jti 1234); generate a new one with 'zonectl generate zone-token'");
      return token;
    };
    const { store, dp, url } = await startCp(t, { authenticate, heartbeatMs: 30 });
    await store.create(MESH);
    const e = RecordingSession.start(t, url, dp.caPem, 'e1');
    const good = await e.session.ready;
    revoked = true;
    await assert.rejects(e.session.done, (err: unknown) => err instanceof UnauthorizedError && err.message.startsWith('token is revoked (jti 1234)'));
    assert.equal(e.session.lastGood?.version, good.version);
    await waitForStore(store, async () => (await insightOf(store, 'e1')).every((sub) => sub.disconnectTime !== undefined));
  });
});

test('a dp port already in use is reported with the flag to change', async (t) => {
  const { dp } = await startCp(t);
  await assert.rejects(
    startCp(t, { port: dp.port }),
    (err: unknown) =>
      err instanceof UsageError && err.message === `--dp-port ${dp.port}: the dp-server cannot listen on 127.0.0.1:${dp.port}: EADDRINUSE (is another control plane running? pick another --dp-port, or 0 for a free one)`,
  );
});

describe('abuse by a token holder', () => {
  // Two valid tokens with their own jti (what the real verifier returns as claims).
  const twoTokens = async (token: string) => {
    if (token === 'tok-a' || token === 'tok-b') return { kid: 1, claims: { jti: token.slice(4), Zone: 'zone-1', Scope: ['egress'] } };
    throw new UnauthorizedError('invalid zone token');
  };

  test("a connected egress's name cannot be re-registered with another token; it can once that egress is gone", async (t) => {
    const { store, dp, url } = await startCp(t, { authenticate: twoTokens });
    await store.create(MESH);
    const a = RecordingSession.start(t, url, dp.caPem, 'e1', 'tok-a');
    await a.session.ready;
    const hijack = await post(url, dp.caPem, '/bootstrap', 'tok-b', bootstrapBody({ ...zoneEgress('e1'), networking: { address: '203.0.113.9', port: 10002, admin: { port: 9901 } } }));
    assert.equal(hijack.status, 409);
    assert.equal(hijack.body.detail, 'zone egress e1 is connected with another zone token; a second egress cannot register under its name while it is connected (give this one its own name)');
    assert.equal(((await store.get({ type: 'ZoneEgress', name: 'e1' })).resource.networking as { address: string }).address, '127.0.0.1', 'its address is unchanged');
    await a.session.close();
    while (dp.streams() > 0) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await post(url, dp.caPem, '/bootstrap', 'tok-b', bootstrapBody(zoneEgress('e1')))).status, 200);
  });

  test('one token registers a bounded number of egresses (403 beyond), and its bootstraps are rate-limited (429 with Retry-After)', async (t) => {
    const { dp, url } = await startCp(t, { authenticate: twoTokens, registrationLimits: { maxEgressesPerToken: 2, bootstrapBurst: 4, bootstrapsPerSecond: 0.5 } });
    for (const name of ['n1', 'n2', 'n1']) assert.equal((await post(url, dp.caPem, '/bootstrap', 'tok-a', bootstrapBody(zoneEgress(name)))).status, 200);
    const third = await post(url, dp.caPem, '/bootstrap', 'tok-a', bootstrapBody(zoneEgress('n3')));
    assert.equal(third.status, 403);
    assert.equal(third.body.detail, 'this zone token (jti a) already registered 2 zone egresses, the most one token may register; generate another token for more');
    const limited = await post(url, dp.caPem, '/bootstrap', 'tok-a', bootstrapBody(zoneEgress('n1')));
    assert.equal(limited.status, 429);
    assert.match(String(limited.body.detail), /^too many bootstraps with this zone token \(jti a\): at most 4 at once and 0\.5 per second; retry in \d+ s$/);
    assert.equal((await post(url, dp.caPem, '/bootstrap', 'tok-b', bootstrapBody(zoneEgress('m1')))).status, 200, 'other tokens are not affected');
  });
});
