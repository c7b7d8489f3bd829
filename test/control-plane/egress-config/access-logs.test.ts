import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileAccessLogs } from '../../../src/control-plane/egress-config/access-logs.js';
import type { PolicyTarget } from '../../../src/control-plane/egress-config/policies.js';
import type { EgressRoute } from '../../../src/resources/egress-config.js';
import type { Resource } from '../../../src/resources/types.js';

const mal = (name: string, spec: Record<string, unknown>, mesh = 'mesh-1'): Resource => ({ type: 'MeshAccessLog', mesh, name, spec });
const file = (path: string, format?: unknown) => ({ type: 'File', file: { path, ...(format ? { format } : {}) } });
const tcp = (address: string) => ({ type: 'Tcp', tcp: { address } });

const routes: EgressRoute[] = [
  { kind: 'terminating', sni: 'httpbin{mesh=mesh-1}', mesh: 'mesh-1', service: 'httpbin', address: '127.0.0.1', port: 8080 },
  { kind: 'passthrough', sni: 'backend{mesh=mesh-1}', mesh: 'mesh-1', service: 'backend', endpoints: [{ address: '10.0.0.1', port: 10001, weight: 1 }] },
  { kind: 'terminating', sni: 'db{mesh=mesh-2}', mesh: 'mesh-2', service: 'db', address: '127.0.0.1', port: 5432 },
];
const targets = new Map<string, PolicyTarget>([
  ['httpbin{mesh=mesh-1}', { mesh: 'mesh-1', tags: { 'kuma.io/service': 'httpbin', version: 'v1' } }],
  ['db{mesh=mesh-2}', { mesh: 'mesh-2', tags: { 'kuma.io/service': 'db' } }],
]);

describe('MeshAccessLog compiled for the egress', () => {
  test('no MeshAccessLog: no section (the snapshot stays as it was)', () => {
    assert.equal(compileAccessLogs(routes, targets, [], []), undefined);
  });

  test('a mesh-wide from entry logs every route of its mesh and the unrouted connections', () => {
    const w: string[] = [];
    assert.deepEqual(compileAccessLogs(routes, targets, [mal('all', { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { backends: [file('/var/log/egress.log')] } }] })], w), {
      backends: [{ name: 'file:/var/log/egress.log', type: 'file', path: '/var/log/egress.log' }],
      routes: [
        { sni: 'httpbin{mesh=mesh-1}', backends: ['file:/var/log/egress.log'] },
        { sni: 'backend{mesh=mesh-1}', backends: ['file:/var/log/egress.log'] },
      ],
      unrouted: ['file:/var/log/egress.log'],
    });
    assert.deepEqual(w, []);
  });

  test('to entries select by service; the more specific entry wins; /dev/stdout is stdout; backends: [] turns it off', () => {
    const policies = [
      mal('to-httpbin', { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: 'httpbin' }, default: { backends: [file('/dev/stdout', { type: 'Plain', plain: '%SNI% %BYTES_SENT%' }), tcp('127.0.0.1:5000')] } }] }),
      mal('mesh', { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'Mesh' }, default: { backends: [file('/var/log/all.log')] } }] }),
      mal('quiet-db', { targetRef: { kind: 'MeshService', name: 'db' }, from: [{ targetRef: { kind: 'Mesh' }, default: { backends: [] } }] }, 'mesh-2'),
      mal('mesh-2', { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { backends: [tcp('tcp://collector:5170')] } }] }, 'mesh-2'),
    ];
    assert.deepEqual(compileAccessLogs(routes, targets, policies, []), {
      backends: [
        { name: 'file:/var/log/all.log', type: 'file', path: '/var/log/all.log' },
        { name: 'stdout', type: 'stdout', format: { type: 'Plain', plain: '%SNI% %BYTES_SENT%' } },
        { name: 'tcp:127.0.0.1:5000', type: 'tcp', address: '127.0.0.1:5000' },
        { name: 'tcp:collector:5170', type: 'tcp', address: 'collector:5170' },
      ],
      routes: [
        { sni: 'httpbin{mesh=mesh-1}', backends: ['stdout', 'tcp:127.0.0.1:5000'] },
        { sni: 'backend{mesh=mesh-1}', backends: ['file:/var/log/all.log'] },
      ],
      unrouted: ['tcp:collector:5170'],
    });
  });

  test('rules: an exact SNI match wins over a catch-all; a spiffeID-only rule is left out', () => {
    const policies = [
      mal('rules', {
        rules: [
          { matches: [{ sni: { type: 'Exact', value: 'backend{mesh=mesh-1}' } }], default: { backends: [file('/var/log/backend.log')] } },
          { matches: [{ spiffeID: { type: 'Exact', value: 'spiffe://mesh-1/web' } }], default: { backends: [file('/var/log/web.log')] } },
          { default: { backends: [file('/var/log/rest.log')] } },
        ],
      }),
    ];
    const s = compileAccessLogs(routes, targets, policies, [])!;
    assert.deepEqual(s.routes, [
      { sni: 'httpbin{mesh=mesh-1}', backends: ['file:/var/log/rest.log'] },
      { sni: 'backend{mesh=mesh-1}', backends: ['file:/var/log/backend.log'] },
    ]);
  });

  test('backends the egress cannot use are skipped with a warning naming the field', () => {
    const w: string[] = [];
    const s = compileAccessLogs(routes, targets, [mal('odd', { from: [{ targetRef: { kind: 'Mesh' }, default: { backends: [{ type: 'OpenTelemetry', openTelemetry: { endpoint: 'otel:4317' } }, tcp('http://collector'), file('relative.log')] } }] })], w);
    assert.equal(s, undefined);
    assert.deepEqual(w, [
      'MeshAccessLog mesh-1/odd spec.from[0].default.backends[0]: OpenTelemetry backends are not supported by the zonectl egress, skipped',
      'MeshAccessLog mesh-1/odd spec.from[0].default.backends[1]: not host:port, skipped',
      'MeshAccessLog mesh-1/odd spec.from[0].default.backends[2]: not an absolute file path, skipped',
    ]);
  });
});
