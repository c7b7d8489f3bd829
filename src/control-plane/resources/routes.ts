/**
 * The resource CRUD module: one set of REST routes per kind of the registry (src/resources/kinds.ts),
 * on Kuma's paths and with Kuma's bodies and error wording (reference/kuma-2.14/api-server). Beyond
 * Kuma: PUT and DELETE honour `If-Match` (412 on a stale version) and GET sends the version as ETag.
 */
import { ConflictError, MethodNotAllowedError, NotFoundError, ValidationError, isZonectlError } from '../../core/errors.js';
import { readOnlyReason, type CpMode } from '../../resources/kds.js';
import { allKinds, kindByType, type KindInfo } from '../../resources/kinds.js';
import type { Resource } from '../../resources/types.js';
import { dropUnknownFields } from '../../resources/schema.js';
import { checkPutBody } from '../../resources/validate-form.js';
import type { ApiContext, ApiRequest, ApiResponse, ApiRoute, DeleteGuard } from '../server/types.js';
import type { ListResult, Store } from '../store/types.js';
import { parseListFilter, type ResourceFilter } from './filters.js';
import { computeLabels, labelViolations, type LabelContext } from './labels.js';
import { BodyDecodeError } from '../server/body.js';
import { kriSyntaxError, parseKri } from './kri.js';
import { overviewRoutes } from './overview.js';
import { etag, expectedVersion, listJson, parseFormat, parsePage, WireJson, type WireFormat } from './view.js';
import { duplicateServiceWarnings, nameWarnings, policyWarnings } from './warnings.js';
import { checkMeshCaChange, deleteMeshCa, ensureMeshCa, secretUses } from '../ca/index.js';

const NOT_FOUND = 'Not found';
const TITLES = {
  list: 'Could not retrieve resources',
  get: 'Could not retrieve a resource',
  put: 'Could not process a resource',
  delete: 'Could not delete a resource',
  meshOfList: 'Failed to retrieve Mesh',
};

/** Extra paths Kuma also answers on (the crud goldens use `/zone-ingresses`). */
const ALIASES: Record<string, string[]> = { ZoneIngress: ['zone-ingresses'], ZoneEgress: ['zone-egresses'], GlobalSecret: ['globalsecrets'] };

/** Lock name shared by writes into a mesh and the deletion of that mesh (see deleteMesh). */
export const meshLock = (mesh: string) => `mesh/${mesh}`;

export function resourcesModule(ctx: ApiContext): ApiRoute[] {
  const routes: ApiRoute[] = [];
  const wire = new WireJson();
  ctx.deleteGuards.push(secretInUseGuard(ctx.store));
  for (const kind of allKinds()) {
    for (const collection of [kind.collection, ...(ALIASES[kind.type] ?? [])]) routes.push(...kindRoutes(ctx, wire, kind, collection, ctx.mode));
  }
  routes.push(...overviewRoutes(ctx.store));
  routes.push({
    method: 'GET',
    path: '/_kri/:kri',
    errorTitle: TITLES.get,
    async handle(req) {
      const syntax = kriSyntaxError(req.params.kri);
      // Kuma answers a BadRequest, whose title is always "Bad Request" (rest/errors HandleError).
      if (syntax) throw new ValidationError(syntax, [], 'Bad Request');
      const k = parseKri(req.params.kri);
      if (!k || (k.zone !== '' && k.zone !== ctx.zone)) throw new NotFoundError(NOT_FOUND);
      return getOne(ctx.store, wire, kindByType(k.type)!, k.name, k.mesh || undefined, parseFormat(req));
    },
  });
  return routes;
}

function kindRoutes(ctx: ApiContext, wire: WireJson, kind: KindInfo, collection: string, mode: CpMode | undefined): ApiRoute[] {
  const store = ctx.store;
  const meshScoped = kind.scope === 'mesh';
  const base = meshScoped ? `/meshes/:mesh/${collection}` : `/${collection}`;
  const access = kind.adminOnlyRead ? 'admin' : 'any';
  const common = { resourceType: kind.type };
  const routes: ApiRoute[] = [
    {
      ...common,
      method: 'GET',
      path: base,
      access,
      errorTitle: meshScoped ? TITLES.meshOfList : TITLES.list,
      async handle(req) {
        const mesh = meshScoped ? req.params.mesh : undefined;
        const page = parsePage(req);
        const format = parseFormat(req);
        const filter = parseListFilter(req, kind.type, kumaPath(base));
        if (mesh !== undefined) await requireMesh(store, mesh);
        const r = await listPage(store, { type: kind.type, mesh, nameContains: page.nameContains }, page, filter);
        return jsonResponse(listJson(req, page, r.total, r.items.map((s) => wire.of(s, format))));
      },
    },
    {
      ...common,
      method: 'GET',
      path: `${base}/:name`,
      access,
      errorTitle: TITLES.get,
      handle: (req) => getOne(store, wire, kind, req.params.name, meshScoped ? req.params.mesh : undefined, parseFormat(req)),
    },
  ];
  if (meshScoped) {
    // Across all meshes, like Kuma's `/traffic-routes` (list_all_meshes golden).
    routes.push({
      ...common,
      method: 'GET',
      path: `/${collection}`,
      access,
      errorTitle: TITLES.list,
      async handle(req) {
        const page = parsePage(req);
        const format = parseFormat(req);
        const filter = parseListFilter(req, kind.type, `/${collection}`);
        const r = await listPage(store, { type: kind.type, nameContains: page.nameContains }, page, filter);
        return jsonResponse(listJson(req, page, r.total, r.items.map((s) => wire.of(s, format))));
      },
    });
  }
  if (kind.readOnly) {
    const refuse = (): ApiResponse => {
      throw new MethodNotAllowedError('Method not allowed');
    };
    routes.push({ ...common, method: 'PUT', path: `${base}/:name`, access: 'any', handle: refuse }, { ...common, method: 'DELETE', path: `${base}/:name`, access: 'any', handle: refuse });
    return routes;
  }
  const guarded = (write: (req: ApiRequest) => Promise<ApiResponse>) => async (req: ApiRequest) => {
    await refuseIfOwnedElsewhere(store, kind, mode, req);
    return write(req);
  };
  routes.push(
    { ...common, method: 'PUT', path: `${base}/:name`, access: 'admin', errorTitle: TITLES.put, handle: guarded((req) => put(store, kind, req, { mode, zone: ctx.zone })) },
    { ...common, method: 'DELETE', path: `${base}/:name`, access: 'admin', errorTitle: TITLES.delete, handle: guarded((req) => del(ctx, kind, req)) },
  );
  return routes;
}

/** `/meshes/:mesh/x` -> `/meshes/{mesh}/x`, as Kuma names routes in violations. */
function kumaPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

/**
 * One page of a collection. With a filter the store cannot apply (labels, tags), the collection is
 * read whole from the store's index, filtered, then paged, so `total` and `next` stay right.
 */
async function listPage(store: Store, opts: { type: string; mesh?: string; nameContains?: string }, page: { offset: number; size: number }, filter: ResourceFilter | undefined): Promise<ListResult> {
  if (!filter) return store.list({ ...opts, offset: page.offset, size: page.size });
  const all = (await store.list(opts)).items.filter((s) => filter(s.resource));
  return { total: all.length, items: all.slice(page.offset, page.offset + page.size) };
}

/**
 * Multizone ownership (src/resources/kds.ts): on a zone, what the global owns is read-only; on the
 * global, what zones own is. Kuma answers 405 with its read-only message; so does zonectl.
 */
async function refuseIfOwnedElsewhere(store: Store, kind: KindInfo, mode: CpMode | undefined, req: ApiRequest): Promise<void> {
  if (mode === undefined || mode === 'standalone') return;
  let reason = readOnlyReason(mode, kind);
  if (!reason && mode === 'zone') {
    // Zone-writable kinds (GlobalSecret): only the copies that came from the global are protected.
    try {
      const stored = await store.get({ type: kind.type, name: req.params.name, mesh: kind.scope === 'mesh' ? req.params.mesh : undefined });
      reason = readOnlyReason(mode, kind, stored.resource);
    } catch (err) {
      if (!(isZonectlError(err) && err.code === 'not-found')) throw err;
    }
  }
  if (reason) throw new MethodNotAllowedError(reason);
}

/** A 200 whose body is JSON text already (pages and resources are serialised by WireJson). */
function jsonResponse(json: string, headers: Record<string, string> = {}): ApiResponse {
  return { status: 200, body: json, headers: { ...headers, 'content-type': 'application/json' } };
}

async function getOne(store: Store, wire: WireJson, kind: KindInfo, name: string, mesh: string | undefined, format: WireFormat): Promise<ApiResponse> {
  try {
    const s = await store.get({ type: kind.type, name, mesh });
    return jsonResponse(wire.of(s, format), { etag: etag(s.version) });
  } catch (err) {
    throw kumaNotFound(err);
  }
}

async function requireMesh(store: Store, mesh: string): Promise<void> {
  try {
    await store.get({ type: 'Mesh', name: mesh });
  } catch (err) {
    throw kumaNotFound(err);
  }
}

/** Kuma answers every missing resource with the bare detail "Not found". */
function kumaNotFound(err: unknown): unknown {
  return isZonectlError(err) && err.code === 'not-found' ? new NotFoundError(NOT_FOUND) : err;
}

async function put(store: Store, kind: KindInfo, req: ApiRequest, labelCtx: LabelContext): Promise<ApiResponse> {
  const mesh = kind.scope === 'mesh' ? req.params.mesh : undefined;
  const name = req.params.name;
  // Either of Kuma's forms: Universal, or Kubernetes (converted; violations keep its paths).
  const checked = checkPutBody(await decodeBody(req, kind), { type: kind.type, name, mesh });
  if (checked.violations.length) throw new ValidationError('Resource is not valid', checked.violations);
  // Kuma's decoder drops fields its types do not have; so does zonectl, and says which.
  const { value: known, dropped } = dropUnknownFields(kind.type, checked.resource);
  const resource = { ...known } as Resource;
  if (kind.scope === 'global') delete resource.mesh;
  const labelProblems = labelViolations(resource, labelCtx);
  if (labelProblems.length) throw new ValidationError('Resource is not valid', labelProblems);
  const labels = computeLabels(kind, resource, labelCtx);
  if (Object.keys(labels).length) resource.labels = labels;
  const version = expectedVersion(req);
  const write = async () => {
    if (mesh !== undefined) await meshMustExist(store, mesh);
    // A provided CA must be a matching pair, and a mesh's CA cannot change while mTLS is on.
    if (kind.type === 'Mesh') await checkMeshCaChange(store, resource);
    const result = await store.upsert(resource, { expectedVersion: version });
    // Create the builtin CA now, so its secrets exist as soon as the Mesh does (not at first egress).
    if (kind.type === 'Mesh') await ensureMeshCa(store, result.resource);
    return result;
  };
  const lock = mesh ?? (kind.type === 'Mesh' ? name : undefined);
  const stored = lock !== undefined ? await store.withLock(meshLock(lock), write) : await write();
  const warnings = [...nameWarnings(kind.type, name), ...policyWarnings(resource), ...(await duplicateServiceWarnings(store, stored.resource)), ...dropped.map((f) => `${f}: unknown field, ignored`)];
  return { status: stored.created ? 201 : 200, body: warnings.length ? { warnings } : {}, headers: { etag: etag(stored.version) } };
}

/**
 * The body as Kuma's decoder sees it: undecodable bodies and meta fields of the wrong JSON type are
 * 400 `Bad Request`, detail `invalid <Type> object: "<decoder error>"`, no invalid_parameters
 * (put_dataplanes_05 and _08 goldens; the wording of type errors is Go's encoding/json).
 */
async function decodeBody(req: ApiRequest, kind: KindInfo): Promise<unknown> {
  const bad = (reason: string) => new ValidationError(`invalid ${kind.type} object: ${JSON.stringify(reason)}`, [], 'Bad Request');
  let body: unknown;
  try {
    body = await req.body();
  } catch (err) {
    throw err instanceof BodyDecodeError ? bad(err.reason) : err;
  }
  const o = body as Record<string, unknown>;
  if (o.apiVersion === undefined) {
    for (const field of ['type', 'mesh', 'name']) {
      const v = o[field];
      if (v === undefined || v === null || typeof v === 'string') continue;
      const json = typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? 'array' : 'object';
      throw bad(`json: cannot unmarshal ${json} into Go struct field ResourceMeta.${field} of type string`);
    }
  }
  return body;
}

async function meshMustExist(store: Store, mesh: string): Promise<void> {
  try {
    await store.get({ type: 'Mesh', name: mesh });
  } catch (err) {
    if (isZonectlError(err) && err.code === 'not-found') {
      throw new ValidationError('Mesh is not found', [{ field: 'mesh', message: `mesh of name ${mesh} is not found` }], 'Could not create a resource');
    }
    throw err;
  }
}

async function del(ctx: ApiContext, kind: KindInfo, req: ApiRequest): Promise<ApiResponse> {
  const store = ctx.store;
  const mesh = kind.scope === 'mesh' ? req.params.mesh : undefined;
  const key = { type: kind.type, name: req.params.name, mesh };
  const version = expectedVersion(req);
  const force = parseForce(req);
  try {
    // A guard of something that does not exist would only confuse: 404 first.
    if (ctx.deleteGuards.length) await store.get(key);
    for (const guard of ctx.deleteGuards) await guard({ ...key, force });
    if (kind.type === 'Mesh') await store.withLock(meshLock(key.name), () => deleteMesh(store, key.name, version));
    else await store.delete(key, { expectedVersion: version });
  } catch (err) {
    throw kumaNotFound(err);
  }
  return { status: 200, body: {} };
}

function parseForce(req: ApiRequest): boolean {
  const v = req.query.get('force');
  if (v === null || v === 'false') return false;
  if (v === '' || v === 'true') return true;
  throw new ValidationError('Invalid query parameter', [{ field: 'force', message: `must be true or false, got ${JSON.stringify(v)}` }], TITLES.delete);
}

/** A GlobalSecret read by a Mesh's CA or an ExternalService's TLS cannot be deleted (400, Kuma's words). */
function secretInUseGuard(store: Store): DeleteGuard {
  return async ({ type, name }) => {
    if (type !== 'GlobalSecret') return;
    const uses = await secretUses(store, name);
    if (uses.length) throw new ValidationError('Resource is not valid', uses, TITLES.delete);
  };
}

/**
 * A Mesh that still holds resources cannot be deleted (Kuma deletes them in cascade; zonectl
 * refuses instead, so a typo cannot wipe a mesh's external services). Runs under the mesh's lock,
 * which every write into the mesh also takes, so no resource can slip in between check and delete.
 */
async function deleteMesh(store: Store, name: string, version: number | undefined): Promise<void> {
  await store.get({ type: 'Mesh', name });
  const inside: string[] = [];
  let total = 0;
  for (const kind of allKinds().filter((k) => k.scope === 'mesh')) {
    const r = await store.list({ type: kind.type, mesh: name, size: 5 });
    total += r.total;
    inside.push(...r.items.map((s) => `${kind.type} ${s.resource.name}`));
  }
  if (total > 0) {
    const more = total > inside.length ? `, and ${total - inside.length} more` : '';
    throw new ConflictError(`mesh "${name}" still contains ${total} resource(s) (${inside.join(', ')}${more}); delete them first`);
  }
  await store.delete({ type: 'Mesh', name }, { expectedVersion: version });
  await deleteMeshCa(store, name);
}
