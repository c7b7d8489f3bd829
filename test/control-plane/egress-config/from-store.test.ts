import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { EgressConfigSource } from '../../../src/control-plane/egress-config/from-store.js';
import { createMemoryStore } from '../../../src/control-plane/store/memory.js';
import { createLogger } from '../../../src/core/log.js';

test('a snapshot warning (two ExternalServices for one service) is logged once, not at every recomputation', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
  const store = createMemoryStore();
  await store.create({ type: 'Mesh', name: 'm1', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } });
  const es = (name: string) => ({ type: 'ExternalService', name, mesh: 'm1', networking: { address: 'httpbin.org:443' }, tags: { 'kuma.io/service': 'httpbin' } });
  await store.create(es('a'));
  await store.create(es('b'));
  const source = new EgressConfigSource({ store, zone: 'zone-1', logger: createLogger('cp', { destination: sink, format: 'json' }) });
  for (let i = 0; i < 3; i++) await source.compute();
  const said = (text: string) => lines.filter((l) => (JSON.parse(l) as { msg: string }).msg === text).length;
  const duplicate = 'ExternalService m1/b: service httpbin is already served by another ExternalService, skipped';
  assert.equal(said(duplicate), 1);
  await store.delete({ type: 'ExternalService', name: 'a', mesh: 'm1' });
  await source.compute();
  await store.create(es('a'));
  await source.compute();
  assert.equal(said(duplicate), 2, 'logged again when it comes back after being resolved');
});
