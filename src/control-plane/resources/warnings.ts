/**
 * Warnings a PUT answers with (`{"warnings":[...]}`): accepted, but deprecated. Kuma 2.14 warns
 * when a Mesh name is not a DNS-1035 label (put_meshes_04 golden); the text is Kuma's, verbatim.
 */
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function nameWarnings(type: string, name: string): string[] {
  if (type !== 'Mesh' || (DNS_1035.test(name) && name.length <= 63)) return [];
  return [
    `Invalid Mesh resource name: '${name}'. It does not conform to the DNS format (RFC 1035). This is deprecated. Errors: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
  ];
}

/**
 * Kuma 2.14's deprecation warnings of a MeshTrafficPermission (api/v1alpha1/deprecated.go): the
 * `from` form and `MeshService` clients still work, Kuma 3.0 drops them.
 */
export function policyWarnings(resource: Record<string, unknown>): string[] {
  if (resource.type !== 'MeshTrafficPermission') return [];
  const spec = (resource.spec ?? {}) as { from?: Array<{ targetRef?: { kind?: string } }> };
  const from = Array.isArray(spec.from) ? spec.from : [];
  const out: string[] = [];
  if (from.length > 0) out.push("'from' field is deprecated and will be removed in 3.0, use 'rules' with MeshIdentity (spiffeId) instead");
  for (const f of from) if (f?.targetRef?.kind === 'MeshService') out.push("MeshService value for 'from[].targetRef.kind' is deprecated, use MeshSubset with 'kuma.io/service' instead");
  return out;
}
