import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ValidationError, UsageError } from '../../src/core/errors.js';
import { loadRoutesFile } from '../../src/egress/routes-file.js';
import { tmpDir } from '../helpers/tmp.js';
import { meshPki } from './helpers.js';

describe('routes file', () => {
  test('an upstream section (connect and idle timeouts, keepalive) is carried into the snapshot; unknown keys are refused', async (t) => {
    const dir = tmpDir(t);
    const routes = 'routes:\n  - { kind: passthrough, sni: "a{mesh=m}", mesh: m, service: a, endpoints: [{ address: 10.0.0.1, port: 10001 }] }\n';
    writeFileSync(join(dir, 'ok.yaml'), `upstream: { connectTimeoutMs: 2000, idleTimeoutMs: 0, tcpKeepaliveMs: 30000 }\n${routes}`);
    assert.deepEqual((await loadRoutesFile(join(dir, 'ok.yaml'))).upstream, { connectTimeoutMs: 2000, idleTimeoutMs: 0, tcpKeepaliveMs: 30000 });
    writeFileSync(join(dir, 'bad.yaml'), `upstream: { connectTimeout: 5s }\n${routes}`);
    await assert.rejects(loadRoutesFile(join(dir, 'bad.yaml')), (err: unknown) => err instanceof ValidationError && err.violations[0].field === 'upstream.connectTimeout' && err.violations[0].message === 'is not a known field');
  });

  test('PEM files are resolved relative to the routes file; weight defaults to 1', async (t) => {
    const dir = tmpDir(t);
    const m = await meshPki('mesh-1');
    mkdirSync(join(dir, 'certs'));
    writeFileSync(join(dir, 'certs', 'id.crt'), m.identity.certPem);
    writeFileSync(join(dir, 'certs', 'id.key'), m.identity.keyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'certs', 'ca.crt'), m.ca.certPem);
    writeFileSync(
      join(dir, 'routes.yaml'),
      `version: r1
identities:
  - mesh: mesh-1
    certFile: certs/id.crt
    keyFile: certs/id.key
    caFile: certs/ca.crt
routes:
  - kind: passthrough
    sni: backend{mesh=mesh-1}
    mesh: mesh-1
    service: backend
    endpoints:
      - { address: 10.0.0.1, port: 10001, zone: zone-2 }
  - kind: terminating
    sni: httpbin{mesh=mesh-1}
    mesh: mesh-1
    service: httpbin
    address: httpbin.org
    port: 443
    tls: { caFile: certs/ca.crt, serverName: httpbin.org }
`,
    );
    const s = await loadRoutesFile(join(dir, 'routes.yaml'));
    assert.equal(s.version, 'r1');
    assert.equal(s.identities[0].keyPem, m.identity.keyPem);
    assert.deepEqual(s.routes[0], { kind: 'passthrough', sni: 'backend{mesh=mesh-1}', mesh: 'mesh-1', service: 'backend', endpoints: [{ address: '10.0.0.1', port: 10001, weight: 1, zone: 'zone-2' }] });
    assert.deepEqual(s.routes[1], { kind: 'terminating', sni: 'httpbin{mesh=mesh-1}', mesh: 'mesh-1', service: 'httpbin', address: 'httpbin.org', port: 443, tls: { caPem: m.ca.certPem, serverName: 'httpbin.org' } });
  });

  test('a file without version gets a content hash as version', async (t) => {
    const dir = tmpDir(t);
    writeFileSync(join(dir, 'r.yaml'), 'routes: []\n');
    const s = await loadRoutesFile(join(dir, 'r.yaml'));
    assert.match(s.version, /^file-[0-9a-f]{12}$/);
  });

  test('schema violations are reported with field paths', async (t) => {
    const dir = tmpDir(t);
    writeFileSync(
      join(dir, 'r.yaml'),
      `identities:
  - mesh: m
    certPem: x
    certFile: y
    caPem: z
routes:
  - kind: passthrough
    sni: a
    mesh: m
    service: a
    endpoints: [{ address: h, port: 99999, weight: 0 }]
  - kind: terminating
    sni: b
    mesh: m
    service: b
    port: 1
    extra: 1
`,
    );
    await assert.rejects(loadRoutesFile(join(dir, 'r.yaml')), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.violations, [
        { field: 'identities[0]', message: 'set exactly one of certPem or certFile' },
        { field: 'identities[0]', message: 'set exactly one of keyPem or keyFile' },
        { field: 'routes[0].endpoints[0].port', message: 'must be <= 65535' },
        { field: 'routes[0].endpoints[0].weight', message: 'must be > 0' },
        { field: 'routes[1].address', message: 'is required' },
        { field: 'routes[1].extra', message: 'is not a known field' },
      ]);
      assert.match(err.message, /^routes file .*r\.yaml is invalid:\n {2}identities\[0\]: set exactly one of certPem or certFile\n/);
      return true;
    });
  });

  test('unreadable referenced files and bad certificates are violations too', async (t) => {
    const dir = tmpDir(t);
    writeFileSync(join(dir, 'r.yaml'), 'identities: [{ mesh: m, certFile: nope.crt, keyPem: k, caPem: c }]\nroutes: []\n');
    await assert.rejects(loadRoutesFile(join(dir, 'r.yaml')), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.violations[0].field, 'identities[0].certFile');
      assert.match(err.violations[0].message, /^cannot read .*nope\.crt \(ENOENT\)$/);
      return true;
    });
    writeFileSync(join(dir, 'r2.yaml'), 'identities: [{ mesh: m, certPem: x, keyPem: k, caPem: c }]\nroutes: []\n');
    await assert.rejects(loadRoutesFile(join(dir, 'r2.yaml')), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.violations, [
        { field: 'identities[0].certPem', message: 'is not a PEM certificate' },
        { field: 'identities[0].keyPem', message: 'is not a PEM private key' },
        { field: 'identities[0].caPem', message: 'is not a PEM certificate' },
      ]);
      return true;
    });
  });

  test('a missing routes file is a usage error', async () => {
    await assert.rejects(loadRoutesFile('/nonexistent/routes.yaml'), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, 'cannot read routes file /nonexistent/routes.yaml (ENOENT); check the --routes-file path');
      return true;
    });
  });
});
