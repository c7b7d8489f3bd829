import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { resolveRunSettings } from '../../src/control-plane/config.js';
import { tmpDir } from '../helpers/tmp.js';

test('control-plane run settings: defaults, then config file, then ZONECTL_* env, then flags', (t) => {
  assert.deepEqual(resolveRunSettings({}, {}), {
    apiPort: 5681,
    apiAddress: '127.0.0.1',
    apiTlsPort: 5682,
    apiTlsAuto: false,
    dpPort: 5678,
    dpAddress: '127.0.0.1',
    zone: 'default',
    dataDir: './.zonectl',
    store: 'sqlite',
    localhostIsAdmin: true,
    mode: 'standalone',
    kdsPort: 5685,
    kdsAddress: '127.0.0.1',
    inMemory: false,
    maxConnections: 10_000,
  });
  const file = join(tmpDir(t), 'cp.yaml');
  writeFileSync(file, 'api-port: 7000\nzone: file-zone\nlocalhostIsAdmin: false\ndp-port: 7001\n');
  const s = resolveRunSettings({ config: file, 'dp-port': 9001 }, { ZONECTL_ZONE: 'env-zone', ZONECTL_STORE: 'memory', ZONECTL_API_TLS_AUTO: 'true' });
  assert.equal(s.apiPort, 7000);
  assert.equal(s.zone, 'env-zone');
  assert.equal(s.localhostIsAdmin, false);
  assert.equal(s.dpPort, 9001);
  assert.equal(s.store, 'memory');
  assert.equal(s.apiTlsAuto, true);
  assert.equal(resolveRunSettings({ 'localhost-is-admin': true }, { ZONECTL_LOCALHOST_IS_ADMIN: 'false' }).localhostIsAdmin, true);
  assert.equal(resolveRunSettings({}, { ZONECTL_CP_CONFIG: file }).zone, 'file-zone', 'ZONECTL_CP_CONFIG names the file too (ZONECTL_CONFIG is the CLI config)');
  assert.equal(resolveRunSettings({}, { ZONECTL_POSTGRES_CACHE_MB: '0' }).postgresCacheMb, 0, 'a cache of 0 MiB is off, not unset');
});

test('control-plane run settings: bad values are usage errors that name their source', (t) => {
  const file = join(tmpDir(t), 'cp.yaml');
  writeFileSync(file, 'api-prot: 1\n');
  const fails = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv, re: RegExp) =>
    assert.throws(() => resolveRunSettings(flags, env), (e: unknown) => e instanceof UsageError && re.test(e.message));
  fails({ config: file }, {}, /unknown setting\(s\) api-prot in .*cp\.yaml; known: api-port, /);
  fails({ config: join(file, 'missing') }, {}, /cannot read the config file/);
  fails({}, { ZONECTL_API_PORT: '70000' }, /ZONECTL_API_PORT: "70000" is not a port/);
  fails({}, { ZONECTL_LOCALHOST_IS_ADMIN: 'maybe' }, /ZONECTL_LOCALHOST_IS_ADMIN: "maybe" is not a boolean/);
  fails({ 'max-connections': '0' }, {}, /--max-connections: "0" is not a positive whole number/);
  fails({}, { ZONECTL_POSTGRES_CACHE_MB: '-1' }, /ZONECTL_POSTGRES_CACHE_MB: "-1" is not a size in MiB \(0 or a positive whole number\)/);
  fails({}, { ZONECTL_STORE: 'etcd' }, /unknown store "etcd"; use sqlite, memory or postgres/);
  writeFileSync(file, '- a list\n');
  fails({ config: file }, {}, /must be a mapping of settings/);
});

test('control-plane run settings: each mode asks for what it needs', () => {
  const fails = (flags: Record<string, unknown>, message: string) =>
    assert.throws(() => resolveRunSettings(flags, {}), (e: unknown) => e instanceof UsageError && e.message === message);
  fails({ mode: 'zone' }, '--mode zone needs --zone NAME, --global-address https://HOST:5685, --global-token-file FILE (mint the token on the global: zonectl generate zone-token --zone NAME --scope cp --valid-for 720h)');
  fails({ mode: 'zone', zone: 'zone-1', 'global-address': 'global:5685', 'global-token-file': 'cp.token' }, '--global-address "global:5685" must be a URL such as https://global.example.com:5685');
  fails({ mode: 'global', zone: 'zone-1' }, 'a global control plane has no zone: drop --zone, or run with --mode zone');
  fails({ 'global-address': 'https://global:5685' }, '--global-address only apply with --mode zone');
  fails({ mode: 'remote' }, '--mode: unknown mode "remote"; use standalone, global or zone');
  const zone = resolveRunSettings({ mode: 'zone', zone: 'zone-1', 'global-address': 'https://global:5685', 'global-token-file': 'cp.token' }, { ZONECTL_GLOBAL_CA_CERT_FILE: 'ca.crt' });
  assert.deepEqual([zone.mode, zone.zone, zone.globalAddress, zone.globalTokenFile, zone.globalCaCertFile], ['zone', 'zone-1', 'https://global:5685', 'cp.token', 'ca.crt']);
  assert.equal(resolveRunSettings({}, { ZONECTL_MODE: 'global', ZONECTL_KDS_PORT: '0' }).kdsPort, 0);
});
