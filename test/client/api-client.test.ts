import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { ApiClient } from '../../src/client/api-client.js';
import { deleteResource, getResource, listAllResources, putResource } from '../../src/client/resources.js';
import {
  BadGatewayError,
  ConflictError,
  ExitCode,
  ForbiddenError,
  InsufficientStorageError,
  InternalError,
  MethodNotAllowedError,
  NotFoundError,
  PreconditionFailedError,
  TooManyRequestsError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
} from '../../src/core/errors.js';
import { createCA, issueCertificate } from '../../src/core/pki.js';
import { kindByType } from '../../src/resources/kinds.js';
import { tmpDir } from '../helpers/tmp.js';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

async function serve(t: TestContext, handler: Handler, tls?: { key: string; cert: string }): Promise<string> {
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => handler(req, body, res));
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.on('connection', (s) => t.after(() => s.destroy()));
  return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const problem = (status: number, title: string, detail: string, params: { field: string; reason: string }[] = []) => ({
  type: '/std-errors',
  status,
  title,
  detail,
  ...(params.length ? { invalid_parameters: params } : {}),
  details: detail,
  ...(params.length ? { causes: params.map((p) => ({ field: p.field, message: p.reason })) } : {}),
});

const ZE = kindByType('ZoneEgress')!;
const ES = kindByType('ExternalService')!;

describe('ApiClient response decoder', () => {
  const cases: [number, new (...a: never[]) => Error, number][] = [
    [400, ValidationError, ExitCode.rejected],
    [401, UnauthorizedError, ExitCode.rejected],
    [403, ForbiddenError, ExitCode.rejected],
    [404, NotFoundError, ExitCode.failure],
    [405, MethodNotAllowedError, ExitCode.rejected],
    [409, ConflictError, ExitCode.rejected],
    [412, PreconditionFailedError, ExitCode.rejected],
    [500, InternalError, ExitCode.failure],
    [429, TooManyRequestsError, ExitCode.failure],
    [502, BadGatewayError, ExitCode.failure],
    [503, UnavailableError, ExitCode.failure],
    [504, UnavailableError, ExitCode.failure],
    [507, InsufficientStorageError, ExitCode.failure],
  ];
  for (const [status, cls, exit] of cases) {
    test(`HTTP ${status} becomes ${cls.name} (exit ${exit})`, async (t) => {
      const url = await serve(t, (_req, _b, res) => json(res, status, problem(status, 'Title', `detail of ${status}`)));
      const client = new ApiClient({ baseUrl: url });
      t.after(() => client.close());
      const err: unknown = await client.request('GET', '/x').then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof cls, `got ${String(err)}`);
      assert.equal((err as unknown as { exitCode: number }).exitCode, exit);
      assert.match((err as Error).message, new RegExp(`detail of ${status}`));
    });
  }

  test('400 carries the violations of invalid_parameters, listed in the message', async (t) => {
    const url = await serve(t, (_req, _b, res) =>
      json(res, 400, problem(400, 'Could not process a resource', 'Resource is not valid', [{ field: 'networking.port', reason: 'port must be in the range [1, 65535]' }])),
    );
    const client = new ApiClient({ baseUrl: url });
    t.after(() => client.close());
    const err = (await client.request('PUT', '/zoneegresses/x', { body: {} }).catch((e: unknown) => e)) as ValidationError;
    assert.ok(err instanceof ValidationError);
    assert.deepEqual(err.violations, [{ field: 'networking.port', message: 'port must be in the range [1, 65535]' }]);
    assert.equal(err.message, 'Resource is not valid\n  * networking.port: port must be in the range [1, 65535]');
  });

  test("legacy `causes` (older kuma-cp) are read when invalid_parameters is absent", async (t) => {
    const url = await serve(t, (_req, _b, res) => json(res, 400, { title: 'Could not process', details: 'bad', causes: [{ field: 'name', message: 'too long' }] }));
    const client = new ApiClient({ baseUrl: url });
    t.after(() => client.close());
    const err = (await client.request('GET', '/').catch((e: unknown) => e)) as ValidationError;
    assert.deepEqual(err.violations, [{ field: 'name', message: 'too long' }]);
  });

  test('a non-JSON error body still gives a typed error with its first line, and says a proxy may have answered', async (t) => {
    const url = await serve(t, (_req, _b, res) => res.writeHead(502).end('Bad Gateway\nfrom nginx'));
    const client = new ApiClient({ baseUrl: url });
    t.after(() => client.close());
    const err = (await client.request('GET', '/').catch((e: unknown) => e)) as BadGatewayError;
    assert.ok(err instanceof BadGatewayError);
    assert.equal(err.message, `control plane at ${url} answered 502 Bad Gateway: Bad Gateway (not an answer of the control plane itself: a proxy in front of it? check the address with 'zonectl config view')`);
    const plain500 = await serve(t, (_req, _b, res) => res.writeHead(500).end('oops'));
    const c500 = new ApiClient({ baseUrl: plain500 });
    t.after(() => c500.close());
    const e500 = (await c500.request('GET', '/').catch((e: unknown) => e)) as InternalError;
    assert.equal(e500.message, `control plane at ${plain500} failed: oops (HTTP 500; its log has the details)`);
  });

  test('429 and 503 carry the server detail and its Retry-After', async (t) => {
    const url = await serve(t, (req, _b, res) => {
      const status = req.url === '/limited' ? 429 : 503;
      res.writeHead(status, { 'content-type': 'application/problem+json', 'retry-after': '7' }).end(JSON.stringify(problem(status, 'Too Many Requests', `detail of ${status}`)));
    });
    const client = new ApiClient({ baseUrl: url });
    t.after(() => client.close());
    const limited = (await client.request('GET', '/limited').catch((e: unknown) => e)) as TooManyRequestsError;
    assert.ok(limited instanceof TooManyRequestsError);
    assert.equal(limited.retryAfterSeconds, 7);
    assert.equal(limited.message, `control plane at ${url} answered 429 Too Many Requests: detail of 429 (retry in 7 s)`);
    const down = (await client.request('GET', '/down').catch((e: unknown) => e)) as UnavailableError;
    assert.ok(down instanceof UnavailableError);
    assert.equal(down.message, `control plane at ${url} answered 503 Service Unavailable: detail of 503 (retry in 7 s)`);
  });
});

describe('ApiClient transport failures', () => {
  test('a refused connection names the URL and what to try', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const client = new ApiClient({ baseUrl: `http://127.0.0.1:${port}` });
    const err = (await client.request('GET', '/meshes').catch((e: unknown) => e)) as UnavailableError;
    client.close();
    assert.ok(err instanceof UnavailableError);
    assert.equal(err.exitCode, ExitCode.failure);
    assert.equal(err.message, `control plane at http://127.0.0.1:${port} refused the connection (is 'zonectl control-plane run' running?)`);
  });

  test('a server that never answers times out with the configured timeout in the message', async (t) => {
    const url = await serve(t, () => undefined);
    const client = new ApiClient({ baseUrl: url, timeoutMs: 150 });
    t.after(() => client.close());
    const err = (await client.request('GET', '/').catch((e: unknown) => e)) as UnavailableError;
    assert.ok(err instanceof UnavailableError);
    assert.equal(err.message, `control plane at ${url} did not answer within 150ms (check the address with 'zonectl config view', or raise --api-timeout)`);
  });

  test('an invalid address is a usage error', () => {
    assert.throws(() => new ApiClient({ baseUrl: 'localhost:5681' }), /scheme must be http or https|expected a URL/);
  });
});

describe('ApiClient headers and TLS', () => {
  test('context headers and per-request headers are sent; JSON bodies get a content type', async (t) => {
    let seen: http.IncomingHttpHeaders = {};
    let seenBody = '';
    const url = await serve(t, (req, body, res) => {
      seen = req.headers;
      seenBody = body;
      json(res, 201, {});
    });
    const client = new ApiClient({ baseUrl: url, headers: { authorization: 'Bearer abc', 'x-team': 'egress' } });
    t.after(() => client.close());
    const res = await client.request('PUT', '/zoneegresses/e1', { body: { type: 'ZoneEgress', name: 'e1' }, headers: { 'if-match': '3' } });
    assert.equal(res.status, 201);
    assert.equal(seen.authorization, 'Bearer abc');
    assert.equal(seen['x-team'], 'egress');
    assert.equal(seen['if-match'], '3');
    assert.equal(seen['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(seenBody), { type: 'ZoneEgress', name: 'e1' });
  });

  test('HTTPS with a CA file verifies the server; without it the handshake error says what to do', async (t) => {
    const dir = tmpDir(t);
    const ca = await createCA({ commonName: 'test-ca', validForMs: 3_600_000 });
    const leaf = await issueCertificate({ ca, commonName: '127.0.0.1', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server', validForMs: 3_600_000 });
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, ca.certPem);
    const url = await serve(t, (_req, _b, res) => json(res, 200, { version: '1.0' }), { key: leaf.keyPem, cert: leaf.certPem });

    const good = new ApiClient({ baseUrl: url, tls: { caCertFile: caFile } });
    t.after(() => good.close());
    assert.deepEqual(await good.requestJson('GET', '/'), { version: '1.0' });

    const bad = new ApiClient({ baseUrl: url });
    t.after(() => bad.close());
    const err = (await bad.request('GET', '/').catch((e: unknown) => e)) as UnavailableError;
    assert.ok(err instanceof UnavailableError);
    assert.match(err.message, new RegExp(`^control plane at ${url} failed the TLS handshake: .*--ca-cert-file`));

    const skip = new ApiClient({ baseUrl: url, tls: { skipVerify: true } });
    t.after(() => skip.close());
    assert.equal((await skip.request('GET', '/')).status, 200);
  });
});

describe('resource helpers', () => {
  test('listAllResources follows next page by page, reusing only the offset', async (t) => {
    const seen: string[] = [];
    const url = await serve(t, (req, _b, res) => {
      seen.push(req.url ?? '');
      const u = new URL(req.url ?? '/', 'http://x');
      const offset = Number(u.searchParams.get('offset') ?? 0);
      const items = [0, 1, 2, 3, 4].slice(offset, offset + 2).map((i) => ({ type: 'ZoneEgress', name: `e${i}` }));
      const next = offset + 2 < 5 ? `http://proxy.example:9999/zoneegresses?offset=${offset + 2}&size=2` : null;
      json(res, 200, { total: 5, items, next });
    });
    const client = new ApiClient({ baseUrl: url });
    t.after(() => client.close());
    const all = await listAllResources(client, ZE, { size: 2 });
    assert.deepEqual(
      all.map((r) => r.name),
      ['e0', 'e1', 'e2', 'e3', 'e4'],
    );
    assert.deepEqual(seen, ['/zoneegresses?size=2', '/zoneegresses?size=2&offset=2', '/zoneegresses?size=2&offset=4']);
  });

  test('putResource reports created vs updated and the server warnings; mesh-scoped kinds go under their mesh', async (t) => {
    const seen: string[] = [];
    const url = await serve(t, (req, _b, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url?.includes('external-services')) json(res, 200, { warnings: ['field foo is deprecated'] });
      else json(res, 201, {});
    });
    const client = new ApiClient({ baseUrl: `${url}/api/` });
    t.after(() => client.close());
    assert.deepEqual(await putResource(client, { type: 'ZoneEgress', name: 'e1' }), { created: true, warnings: [] });
    assert.deepEqual(await putResource(client, { type: 'ExternalService', name: 'httpbin' }), { created: false, warnings: ['field foo is deprecated'] });
    assert.deepEqual(seen, ['PUT /api/zoneegresses/e1', 'PUT /api/meshes/default/external-services/httpbin']);
  });

  test("get and delete of a missing resource say kumactl's `there is no ... with name`", async (t) => {
    const url = await serve(t, (_req, _b, res) => json(res, 404, problem(404, 'Could not delete a resource', 'Not found')));
    const client = new ApiClient({ baseUrl: url });
    t.after(() => client.close());
    await assert.rejects(deleteResource(client, ZE, 'x'), (e: unknown) => e instanceof NotFoundError && e.message === 'there is no ZoneEgress with name "x"');
    await assert.rejects(getResource(client, ES, 'y', { mesh: 'm1' }), (e: unknown) => e instanceof NotFoundError && e.message === 'there is no ExternalService with name "y" in mesh "m1"');
  });
});
