/**
 * The static routes file of `zonectl dp run --routes-file`: YAML in the EgressSnapshot model
 * (schemas/egress-routes.schema.json), where each PEM may instead name a file resolved relative to
 * the routes file. Loading = parse, schema check, read the referenced files, compile check.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { UsageError, ValidationError, type Violation } from '../core/errors.js';
import type { EgressAccessLog, EgressPermissions, EgressRoute, EgressSnapshot, MeshIdentity, UpstreamSettings, UpstreamTls } from '../resources/egress-config.js';
import { compileSnapshot } from './route-table.js';

type Raw = Record<string, unknown>;

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(doc: unknown): ErrorObject[] {
  if (!validator) {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/egress-routes.schema.json', import.meta.url), 'utf8'));
    validator = new Ajv({ allErrors: true, verbose: true, strict: false }).compile(schema);
  }
  return validator(doc) ? [] : (validator.errors ?? []);
}

/** `/routes/0/endpoints/1/port` -> `routes[0].endpoints[1].port` */
function fieldPath(pointer: string, extra?: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function violations(errors: ErrorObject[]): Violation[] {
  const out: Violation[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue; // the failing `then` branch reports the real problem
    if (e.schemaPath.includes('/oneOf/') && e.keyword === 'required') continue; // summarised by its oneOf
    if (e.keyword === 'oneOf') {
      const names = (e.schema as Array<{ required: string[] }>).map((s) => s.required[0]);
      out.push({ field: fieldPath(e.instancePath), message: `set exactly one of ${names.join(' or ')}` });
    } else if (e.keyword === 'not') {
      out.push({ field: fieldPath(e.instancePath), message: 'give each of ca, cert and key either inline (…Pem) or as a file (…File), not both' });
    } else if (e.keyword === 'required') {
      out.push({ field: fieldPath(e.instancePath, (e.params as { missingProperty: string }).missingProperty), message: 'is required' });
    } else if (e.keyword === 'additionalProperties') {
      out.push({ field: fieldPath(e.instancePath, (e.params as { additionalProperty: string }).additionalProperty), message: 'is not a known field' });
    } else {
      out.push({ field: fieldPath(e.instancePath), message: e.message ?? 'is invalid' });
    }
  }
  return out.filter((v, i) => out.findIndex((w) => w.field === v.field && w.message === v.message) === i);
}

async function pem(base: string, inline: unknown, file: unknown, field: string, problems: Violation[]): Promise<string | undefined> {
  if (typeof inline === 'string') return inline;
  if (typeof file !== 'string') return undefined;
  const path = resolve(base, file);
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    problems.push({ field, message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
    return undefined;
  }
}

/** Reads and checks a routes file; throws UsageError (unreadable) or ValidationError (violations). */
export async function loadRoutesFile(path: string): Promise<EgressSnapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read routes file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the --routes-file path`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new ValidationError(`routes file ${path} is not valid YAML: ${e.message.split('\n')[0]}`, [{ field: '', message: e.message.split('\n')[0] }]);
  }
  const raw = doc.toJS() as unknown;
  const schemaProblems = violations(validate(raw));
  if (schemaProblems.length) throw rejected(path, schemaProblems);
  const r = raw as Raw;
  const base = dirname(resolve(path));
  const problems: Violation[] = [];
  const identities: MeshIdentity[] = [];
  for (const [i, id] of ((r.identities ?? []) as Raw[]).entries()) {
    const f = `identities[${i}]`;
    identities.push({
      mesh: id.mesh as string,
      certPem: (await pem(base, id.certPem, id.certFile, `${f}.certFile`, problems)) ?? '',
      keyPem: (await pem(base, id.keyPem, id.keyFile, `${f}.keyFile`, problems)) ?? '',
      caPem: (await pem(base, id.caPem, id.caFile, `${f}.caFile`, problems)) ?? '',
    });
  }
  const routes: EgressRoute[] = [];
  for (const [i, route] of (r.routes as Raw[]).entries()) {
    if (route.kind === 'passthrough') {
      const endpoints = (route.endpoints as Raw[]).map((e) => ({
        address: e.address as string,
        port: e.port as number,
        weight: (e.weight as number | undefined) ?? 1,
        ...(typeof e.zone === 'string' ? { zone: e.zone } : {}),
      }));
      routes.push({ kind: 'passthrough', sni: route.sni as string, mesh: route.mesh as string, service: route.service as string, endpoints });
      continue;
    }
    const t = route.tls as Raw | undefined;
    let tls: UpstreamTls | undefined;
    if (t) {
      const f = `routes[${i}].tls`;
      tls = {
        serverName: t.serverName as string | undefined,
        caPem: await pem(base, t.caPem, t.caFile, `${f}.caFile`, problems),
        certPem: await pem(base, t.certPem, t.certFile, `${f}.certFile`, problems),
        keyPem: await pem(base, t.keyPem, t.keyFile, `${f}.keyFile`, problems),
        verifyHostname: t.verifyHostname as boolean | undefined,
        allowRenegotiation: t.allowRenegotiation as boolean | undefined,
      };
      for (const k of Object.keys(tls) as Array<keyof UpstreamTls>) if (tls[k] === undefined) delete tls[k];
    }
    routes.push({ kind: 'terminating', sni: route.sni as string, mesh: route.mesh as string, service: route.service as string, address: route.address as string, port: route.port as number, ...(tls ? { tls } : {}) });
  }
  if (problems.length) throw rejected(path, problems);
  const version = (r.version as string | undefined) ?? `file-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
  const snapshot: EgressSnapshot = { version, identities, routes, ...(r.upstream ? { upstream: r.upstream as UpstreamSettings } : {}) };
  // Same model as the streamed snapshot; checked by compileSnapshot below.
  if (r.permissions !== undefined) snapshot.permissions = r.permissions as EgressPermissions;
  if (r.accessLog !== undefined) snapshot.accessLog = normalizeAccessLog(r.accessLog as EgressAccessLog);
  // Certificates, keys and cross-references are checked the way a streamed snapshot is.
  const compiled = compileSnapshot(snapshot);
  // A routes file is all or nothing: its author is there to fix it.
  const unusable = 'problems' in compiled ? compiled.problems : compiled.skipped;
  if (unusable.length) {
    throw rejected(
      path,
      unusable.map((p) => {
        const at = p.indexOf(': ');
        return { field: p.slice(0, at), message: p.slice(at + 2) };
      }),
    );
  }
  return snapshot;
}

function rejected(path: string, v: Violation[]): ValidationError {
  const lines = v.map((x) => `  ${x.field || '(file)'}: ${x.message}`).join('\n');
  return new ValidationError(`routes file ${path} is invalid:\n${lines}`, v);
}

/** `routes` and `unrouted` may be left out of a hand-written access log section. */
function normalizeAccessLog(a: EgressAccessLog): EgressAccessLog {
  return { backends: a.backends, routes: a.routes ?? [], unrouted: a.unrouted ?? [] };
}
