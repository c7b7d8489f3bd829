/**
 * Table columns of `zonectl get`, per kind: what kumactl shows, plus what an egress operator needs
 * (zone, address and port of a ZoneEgress). Kinds without a row here get NAME (MESH) AGE.
 */
import type { Clock } from '../../core/clock.js';
import type { KindInfo } from '../../resources/kinds.js';
import type { Resource } from '../../resources/types.js';
import type { ResourceList } from '../../client/resources.js';
import { nextOffset } from '../../client/resources.js';
import { ago } from '../age.js';
import { renderTable } from '../printers.js';

interface TableView {
  header: string[];
  row(r: Resource, clock: Clock): string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const onOff = (v: unknown): string => (v === true ? 'on' : 'off');
const hostPort = (address: unknown, port: unknown): string => (address ? (port ? `${text(address)}:${text(port)}` : text(address)) : '');

/** `builtin/ca-1` for the enabled mTLS backend, `off` without one. */
export function meshMtls(mesh: Resource): string {
  const mtls = obj(mesh.mtls);
  const enabled = text(mtls.enabledBackend);
  if (!enabled) return 'off';
  const backend = (Array.isArray(mtls.backends) ? mtls.backends : []).map(obj).find((b) => b.name === enabled);
  return `${text(backend?.type) || 'unknown'}/${enabled}`;
}

function tags(t: unknown): string {
  return Object.entries(obj(t))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${text(v)}`)
    .join(' ');
}

const views: Record<string, TableView> = {
  Mesh: {
    header: ['NAME', 'mTLS', 'LOCALITY', 'ZONEEGRESS', 'AGE'],
    row: (r, clock) => [r.name, meshMtls(r), onOff(obj(r.routing).localityAwareLoadBalancing), onOff(obj(r.routing).zoneEgress), ago(r.modificationTime ?? r.creationTime, clock)],
  },
  ZoneEgress: {
    header: ['NAME', 'ZONE', 'ADDRESS', 'PORT', 'AGE'],
    row: (r, clock) => [r.name, text(r.zone), text(obj(r.networking).address), text(obj(r.networking).port), ago(r.modificationTime ?? r.creationTime, clock)],
  },
  ZoneIngress: {
    header: ['NAME', 'ZONE', 'ADDRESS', 'ADVERTISED ADDRESS', 'SERVICES', 'AGE'],
    row: (r, clock) => {
      const n = obj(r.networking);
      const services = Array.isArray(r.availableServices) ? r.availableServices.length : 0;
      return [r.name, text(r.zone), hostPort(n.address, n.port), hostPort(n.advertisedAddress, n.advertisedPort), String(services), ago(r.modificationTime ?? r.creationTime, clock)];
    },
  },
  ExternalService: {
    header: ['MESH', 'NAME', 'TAGS', 'ADDRESS', 'AGE'],
    row: (r, clock) => [text(r.mesh), r.name, tags(r.tags), text(obj(r.networking).address), ago(r.modificationTime ?? r.creationTime, clock)],
  },
};

/**
 * `-o wide`: extra columns after the usual ones, as kubectl's wide output adds node and IP.
 * Every kind gets its labels; kinds with more to say add their own before them.
 */
const wideExtras: Record<string, TableView> = {
  ZoneEgress: { header: ['ADMIN PORT'], row: (r) => [text(obj(obj(r.networking).admin).port)] },
  ExternalService: { header: ['TLS'], row: (r) => [obj(obj(r.networking).tls).enabled === true ? 'on' : 'off'] },
  Mesh: { header: ['BACKENDS'], row: (r) => [(Array.isArray(obj(r.mtls).backends) ? (obj(r.mtls).backends as unknown[]) : []).map((b) => text(obj(b).name)).join(',')] },
};

function labels(r: Resource): string {
  return tags(r.labels);
}

function wideView(kind: KindInfo): TableView {
  const base = viewFor(kind);
  const extra = wideExtras[kind.type];
  return {
    header: [...base.header, ...(extra?.header ?? []), 'LABELS'],
    row: (r, clock) => [...base.row(r, clock), ...(extra?.row(r, clock) ?? []), labels(r)],
  };
}

function viewFor(kind: KindInfo): TableView {
  const known = views[kind.type];
  if (known) return known;
  return kind.scope === 'mesh'
    ? { header: ['MESH', 'NAME', 'AGE'], row: (r, clock) => [text(r.mesh), r.name, ago(r.modificationTime ?? r.creationTime, clock)] }
    : { header: ['NAME', 'AGE'], row: (r, clock) => [r.name, ago(r.modificationTime ?? r.creationTime, clock)] };
}

/** The table of a page, with kumactl's footer when the server has a next page. */
export function renderListTable(kind: KindInfo, list: ResourceList, clock: Clock, opts: { wide?: boolean } = {}): string {
  const view = opts.wide ? wideView(kind) : viewFor(kind);
  const table = renderTable(
    view.header,
    list.items.map((r) => view.row(r, clock)),
  );
  const offset = nextOffset(list.next);
  return offset === undefined ? table : `${table}\nRerun command with --offset=${offset} argument to retrieve more resources\n`;
}

export function renderItemTable(kind: KindInfo, resource: Resource, clock: Clock, opts: { wide?: boolean } = {}): string {
  const view = opts.wide ? wideView(kind) : viewFor(kind);
  return renderTable(view.header, [view.row(resource, clock)]);
}
