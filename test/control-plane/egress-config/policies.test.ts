import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateEgressSnapshot } from '../../../src/control-plane/egress-config/generate.js';
import { matchedPolicies, routePermissions } from '../../../src/control-plane/egress-config/policies.js';
import type { Resource } from '../../../src/resources/types.js';

const mtp = (name: string, spec: Record<string, unknown>, mesh = 'mesh-1'): Resource => ({ type: 'MeshTrafficPermission', mesh, name, spec });
// The ExternalService of Kuma's egressmatchedpolicies/fromrules/01 test.
const target = { mesh: 'mesh-1', tags: { 'kuma.io/service': 'external-database', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-1', version: 'v1' } };

describe('MeshTrafficPermission compiled for the egress (Kuma matchers/egress.go)', () => {
  test("Kuma's fromrules/01: the MeshServiceSubset policy merges after the Mesh one", () => {
    const policies = [
      mtp('mtp-1', {
        targetRef: { kind: 'MeshServiceSubset', name: 'external-database', tags: { version: 'v1' } },
        from: [
          { targetRef: { kind: 'MeshService', name: 'backend' }, default: { action: 'Allow' } },
          { targetRef: { kind: 'MeshService', name: 'orders' }, default: { action: 'AllowWithShadowDeny' } },
        ],
      }),
      mtp('mtp-2', { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } }] }),
    ];
    assert.deepEqual(routePermissions('external-database{mesh=mesh-1}', target, policies), {
      sni: 'external-database{mesh=mesh-1}',
      from: [
        { policy: 'mtp-2', kind: 'Mesh', action: 'Deny' },
        { policy: 'mtp-1', kind: 'MeshService', name: 'backend', action: 'Allow' },
        { policy: 'mtp-1', kind: 'MeshService', name: 'orders', action: 'AllowWithShadowDeny' },
      ],
    });
  });

  test('same kind: the lexicographically smaller name merges last (wins)', () => {
    const policies = [mtp('a', { from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] }), mtp('b', { from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } }] })];
    assert.deepEqual(
      matchedPolicies(policies, target).map((p) => p.name),
      ['b', 'a'],
    );
  });

  test('policies of other meshes, other services and non-matching subsets are left out', () => {
    const policies = [
      mtp('other-mesh', { from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] }, 'mesh-2'),
      mtp('other-svc', { targetRef: { kind: 'MeshService', name: 'httpbin' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] }),
      mtp('v2-only', { targetRef: { kind: 'MeshSubset', tags: { version: 'v2' } }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] }),
    ];
    assert.equal(routePermissions('s', target, policies), undefined);
  });

  test('the rules form keeps deny, allow and allowWithShadowDeny matches with their policy', () => {
    const p = mtp('zp', { rules: [{ default: { deny: [{ spiffeID: { type: 'Prefix', value: 'spiffe://mesh-1/legacy-' } }], allow: [{ sni: { type: 'Exact', value: 'external-database.mesh-1' } }] } }] });
    assert.deepEqual(routePermissions('s', target, [p]), {
      sni: 's',
      rules: { deny: [{ policy: 'zp', spiffeId: { type: 'Prefix', value: 'spiffe://mesh-1/legacy-' } }], allow: [{ policy: 'zp', sni: 'external-database.mesh-1' }] },
    });
  });

  test('the snapshot carries a permissions entry for each terminating route a policy selects', () => {
    const ident = { mesh: 'mesh-1', certPem: 'C', keyPem: 'K', caPem: 'A' };
    const { snapshot } = generateEgressSnapshot({
      zone: 'zone-1',
      meshes: [{ type: 'Mesh', name: 'mesh-1', mtls: { enabledBackend: 'ca-1' }, routing: { zoneEgress: true } }],
      zoneIngresses: [],
      externalServices: [
        { type: 'ExternalService', mesh: 'mesh-1', name: 'db', networking: { address: 'db.example.com:5432' }, tags: target.tags },
        { type: 'ExternalService', mesh: 'mesh-1', name: 'web', networking: { address: 'web.example.com:80' }, tags: { 'kuma.io/service': 'httpbin' } },
      ],
      identities: new Map([['mesh-1', ident]]),
      trafficPermissions: [mtp('db', { targetRef: { kind: 'MeshService', name: 'external-database' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] })],
    });
    assert.deepEqual(snapshot.permissions, { routes: [{ sni: 'external-database{mesh=mesh-1}', from: [{ policy: 'db', kind: 'Mesh', action: 'Allow' }] }] });
  });
});
