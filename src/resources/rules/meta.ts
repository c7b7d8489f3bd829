/** Kuma's meta rules: resource name and mesh. */
import { str, type Obj, type Violations } from './common.js';

const MAX_NAME = 253;
const MAX_MESH_NAME = 63;
// A lowercase RFC 1123 subdomain (Kubernetes' IsDNS1123Subdomain).
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_MESSAGE =
  "invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const MESH = /^[0-9a-z\-_.]*$/;
const MESH_MESSAGE = "invalid characters. Valid characters are numbers, lowercase latin letters and '-', '_', '.' symbols.";

/** `name` (and `mesh` of mesh-scoped kinds): non-empty, length, characters; values of the wrong type are left to the schema. */
export function checkMeta(v: Violations, doc: Obj, opts: { meshScoped: boolean; isMesh: boolean }): void {
  const name = str(doc.name);
  if (name !== undefined) {
    const max = opts.isMesh ? MAX_MESH_NAME : MAX_NAME;
    if (name === '') v.add('name', 'cannot be empty');
    else if (name.length > max) v.add('name', `value length must less or equal ${max}`);
    else if (!NAME.test(name)) v.add('name', NAME_MESSAGE);
  }
  if (!opts.meshScoped) return;
  const mesh = str(doc.mesh);
  if (mesh === undefined) return;
  if (mesh === '') v.add('mesh', 'cannot be empty');
  else if (mesh.length > MAX_NAME) v.add('mesh', `value length must less or equal ${MAX_NAME}`);
  else if (!MESH.test(mesh)) v.add('mesh', MESH_MESSAGE);
}
