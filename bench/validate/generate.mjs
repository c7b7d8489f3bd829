// Generates the benchmark input: multi-document YAML of ZoneEgress, ZoneIngress, ExternalService
// and Mesh resources in the style of real manifests (comments, quoted and plain scalars, nested
// lists), about `targetBytes` long. One document in `invalidEvery` is invalid, so the run also
// pays for locating violations (the slow path) at a realistic rate.
export function generateManifests({ targetBytes = 1024 * 1024, invalidEvery = 200 } = {}) {
  const docs = [];
  let size = 0;
  for (let i = 0; size < targetBytes; i++) {
    const doc = makeDoc(i, invalidEvery > 0 && i % invalidEvery === invalidEvery - 1);
    docs.push(doc);
    size += doc.length + 4;
  }
  return { text: docs.join('---\n'), documents: docs.length };
}

function makeDoc(i, invalid) {
  const zone = `zone-${i % 7}`;
  switch (i % 4) {
    case 0:
      return `# egress ${i}
type: ZoneEgress
name: zoneegress-${i}
zone: ${zone}
networking:
  address: 10.${(i >> 8) & 255}.${i & 255}.1
  port: ${invalid ? 70000 : 10002}
  admin:
    port: 9901
`;
    case 1:
      return `type: ZoneIngress
name: zoneingress-${i}
zone: ${zone}
networking:
  address: 10.1.${i & 255}.10
  port: 10001
  advertisedAddress: ingress-${i}.${zone}.example.com
  advertisedPort: 10001
availableServices:
  - mesh: default
    instances: ${i % 5}
    tags:
      kuma.io/service: backend-${i}
      version: v1
`;
    case 2:
      return `type: ExternalService
mesh: default
name: httpbin-${i}
networking:
  address: ${invalid ? 'httpbin.org' : 'httpbin.org:443'}
  tls:
    enabled: true
    serverName: "httpbin.org"
tags:
  kuma.io/service: httpbin-${i}
  kuma.io/protocol: http
`;
    default:
      return `type: Mesh
name: mesh-${i}
mtls:
  enabledBackend: ca-1
  backends:
    - name: ca-1
      type: builtin
      dpCert:
        rotation:
          expiration: ${invalid ? '1x' : '1d'}
routing:
  zoneEgress: true
`;
  }
}
