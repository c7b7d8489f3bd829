import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { configPath, readConfig, readOrInitConfig, renderConfig } from '../../src/cli/config-file.js';
import { apiHeaders, clientFromFlags, resolveContext } from '../../src/cli/cp-flags.js';
import { UsageError } from '../../src/core/errors.js';
import { tmpDir } from '../helpers/tmp.js';

const fixture = (p: string): string => new URL(`../fixtures/kuma-replay/config/${p}`, import.meta.url).pathname;

describe('config file', () => {
  test("reads kumactl's snake_case file and writes kumactl's camelCase view", () => {
    assert.equal(renderConfig(readConfig(fixture('config-view.config.yaml'))!), readFileSync(fixture('config-view.golden.yaml'), 'utf8'));
  });

  test('an empty config renders as {} (kumactl after removing the last control plane)', () => {
    assert.equal(renderConfig({}), readFileSync(fixture('config-control-planes-remove.13.golden.yaml'), 'utf8'));
  });

  test('first use writes a `local` context at http://127.0.0.1:5681 with mode 0600', (t) => {
    const file = join(tmpDir(t), 'nested', 'config');
    const cfg = readOrInitConfig(file);
    assert.equal(cfg.currentContext, 'local');
    assert.equal(cfg.controlPlanes?.[0].coordinates.apiServer.url, 'http://127.0.0.1:5681');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readConfig(file), cfg);
  });

  test('path: --config-file, then ZONECTL_CONFIG, then ~/.zonectl/config', () => {
    assert.equal(configPath('/a', { ZONECTL_CONFIG: '/b', HOME: '/h' }), '/a');
    assert.equal(configPath(undefined, { ZONECTL_CONFIG: '/b', HOME: '/h' }), '/b');
    assert.equal(configPath(undefined, { HOME: '/h' }), '/h/.zonectl/config');
  });

  test('a broken file is a usage error naming the file', (t) => {
    const file = join(tmpDir(t), 'config');
    writeFileSync(file, 'contexts: [\n');
    assert.throws(() => readConfig(file), (e: unknown) => e instanceof UsageError && e.message.startsWith(`the config file ${file} is not valid YAML`));
  });
});

describe('contexts', () => {
  const cfg = readConfig(fixture('config-view.config.yaml'))!;
  test('current context by default, --context to pick another, with its default mesh', (t) => {
    assert.equal(resolveContext(cfg, undefined, 'f').controlPlane.coordinates.apiServer.url, 'https://test1.internal:5681');
    assert.equal(resolveContext(cfg, 'test2', 'f').context.defaults?.mesh, 'default');
    const file = join(tmpDir(t), 'config');
    writeFileSync(file, readFileSync(fixture('config-view.config.yaml')));
    const resolved = clientFromFlags({ 'config-file': file, context: 'test2', 'api-timeout': '5s' });
    resolved.client.close();
    assert.equal(resolved.client.baseUrl, 'https://test2.internal:5681');
    assert.equal(resolved.client.timeoutMs, 5000);
    assert.equal(resolved.defaultMesh, 'default');
  });

  test('an unknown context is a usage error with the next step', () => {
    assert.throws(() => resolveContext(cfg, 'nope', '/c'), { message: `there is no context "nope" in /c (see 'zonectl config control-planes list')` });
  });

  test('--no-config uses the local default and writes nothing', () => {
    const resolved = clientFromFlags({ 'no-config': true });
    resolved.client.close();
    assert.equal(resolved.client.baseUrl, 'http://127.0.0.1:5681');
    assert.equal(resolved.configFile, undefined);
  });

  test('a bad --api-timeout is a usage error', () => {
    assert.throws(() => clientFromFlags({ 'no-config': true, 'api-timeout': 'soon' }), UsageError);
  });

  test('headers of the control plane plus the tokens auth plugin as a bearer token', () => {
    assert.deepEqual(
      apiHeaders({ name: 'p', coordinates: { apiServer: { url: 'http://x', headers: [{ key: 'X-Team', value: 'egress' }], authType: 'tokens', authConf: { token: 'abc' } } } }),
      { 'x-team': 'egress', authorization: 'Bearer abc' },
    );
    assert.throws(() => apiHeaders({ name: 'p', coordinates: { apiServer: { url: 'http://x', authType: 'oidc' } } }), UsageError);
  });
});
