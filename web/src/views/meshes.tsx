/**
 * Meshes: mTLS backend and CA expiry, egress routing, external services and policies of each
 * mesh, and which egresses serve it. CA expiry and "served by" come from the config dumps of the
 * online egresses (the mesh CA's certificate is in them; the CA's key never is), so they need
 * the same admin rights as `zonectl inspect zoneegress`.
 */
import { getJson, listAll, needsAdmin } from '../api.js';
import { capabilities, type Kind } from '../capabilities.js';
import { Facts, Link, Loading, Problem, Section, YesNo } from '../components.js';
import { arr, dateTime, egressRow, obj, str, type Obj } from '../model.js';
import { usePoll } from '../poll.js';
import { href, type Route } from '../router.js';
import { certValidity } from '../x509.js';

const enc = encodeURIComponent;

interface MeshView {
  name: string;
  mesh: Obj;
  backend: string;
  backendType: string;
  caNotAfter?: string;
  zoneEgress: boolean;
  externalServices: Obj[];
  policies: { kind: Kind; items: Obj[] }[];
  servedBy: string[];
}

interface MeshesData {
  meshes: MeshView[];
  /** Why CA expiry and "served by" are missing, when they are. */
  dumpsProblem?: unknown;
}

async function load(signal: AbortSignal, only?: string): Promise<MeshesData> {
  const caps = await capabilities();
  const meshes = only ? [await getJson<Obj>(`/meshes/${enc(only)}`, signal)] : await listAll<Obj>('/meshes', signal);
  const online = (await listAll('/zoneegresses/_overview', signal)).map(egressRow).filter((r) => r.online);
  let dumpsProblem: unknown;
  const dumps = await Promise.all(
    online.map(async (e) => {
      try {
        return { name: e.name, dump: await getJson<Obj>(`/zoneegresses/${enc(e.name)}/xds`, signal) };
      } catch (err) {
        dumpsProblem ??= err;
        return undefined;
      }
    }),
  );
  const views = await Promise.all(
    meshes.map(async (m): Promise<MeshView> => {
      const name = str(m.name);
      const mtls = obj(m.mtls);
      const backend = str(mtls.enabledBackend);
      const backendType = str(obj(arr(mtls.backends).map(obj).find((b) => str(b.name) === backend)).type);
      const [externalServices, ...policies] = await Promise.all([
        listAll<Obj>(`/meshes/${enc(name)}/external-services`, signal),
        ...caps.policies.map((k) => listAll<Obj>(`/meshes/${enc(name)}/${k.path}`, signal)),
      ]);
      let caNotAfter: string | undefined;
      const servedBy: string[] = [];
      for (const d of dumps) {
        if (!d) continue;
        const snap = obj(d.dump.snapshot);
        const id = arr(snap.identities).map(obj).find((i) => str(i.mesh) === name);
        const routes = arr(snap.routes).map(obj).filter((r) => str(r.mesh) === name);
        if (id || routes.length) servedBy.push(d.name);
        const ca = id ? certValidity(str(id.caPem)) : undefined;
        if (ca && (!caNotAfter || ca.notAfter.toISOString() < caNotAfter)) caNotAfter = ca.notAfter.toISOString();
      }
      return {
        name,
        mesh: m,
        backend,
        backendType,
        caNotAfter,
        zoneEgress: obj(m.routing).zoneEgress === true,
        externalServices,
        policies: caps.policies.map((kind, i) => ({ kind, items: policies[i] })),
        servedBy,
      };
    }),
  );
  return { meshes: views, dumpsProblem };
}

function Mtls(props: { m: MeshView }) {
  return props.m.backend ? (
    <span>
      {props.m.backend} ({props.m.backendType || 'unknown type'})
    </span>
  ) : (
    <span class="no">Off</span>
  );
}

function CaExpiry(props: { m: MeshView; problem?: unknown }) {
  if (!props.m.backend) return <span class="muted">no CA</span>;
  if (props.m.caNotAfter) return <span>{dateTime(props.m.caNotAfter)}</span>;
  if (needsAdmin(props.problem)) return <span class="muted">needs admin rights</span>;
  return <span class="muted">unknown (no online egress serves this mesh)</span>;
}

function ServedBy(props: { names: string[] }) {
  if (!props.names.length) return <span class="muted">none</span>;
  return (
    <>
      {props.names.map((n, i) => (
        <span key={n}>
          {i > 0 && ', '}
          <Link href={href('zoneegresses', n)}>{n}</Link>
        </span>
      ))}
    </>
  );
}

export function Meshes() {
  const { data, error } = usePoll((s) => load(s), 10_000);
  if (!data) return error ? <Problem error={error} what="meshes" /> : <Loading what="meshes" />;
  const hasPolicies = data.meshes.some((m) => m.policies.length > 0);
  return (
    <>
      {error !== undefined && <Problem error={error} what="the latest meshes" />}
      {data.dumpsProblem !== undefined && <Problem error={data.dumpsProblem} what="CA expiry and serving egresses (from the egresses' config dumps)" />}
      <table class="data">
        <caption>
          {data.meshes.length} mesh{data.meshes.length === 1 ? '' : 'es'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">mTLS backend</th>
            <th scope="col">CA valid until</th>
            <th scope="col">Zone egress routing</th>
            <th scope="col" class="num">External services</th>
            {hasPolicies && (
              <th scope="col" class="num">
                Policies
              </th>
            )}
            <th scope="col">Served by egresses</th>
          </tr>
        </thead>
        <tbody>
          {data.meshes.map((m) => (
            <tr key={m.name} data-mesh={m.name}>
              <th scope="row">
                <Link href={href('meshes', m.name)}>{m.name}</Link>
              </th>
              <td>
                <Mtls m={m} />
              </td>
              <td>
                <CaExpiry m={m} problem={data.dumpsProblem} />
              </td>
              <td>
                <YesNo value={m.zoneEgress} />
              </td>
              <td class="num">{m.externalServices.length}</td>
              {hasPolicies && <td class="num">{m.policies.reduce((n, p) => n + p.items.length, 0)}</td>}
              <td>
                <ServedBy names={m.servedBy} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function tags(v: unknown) {
  return Object.entries(obj(v)).map(([k, x]) => (
    <span class="tag" key={k}>
      {k}={str(x)}
    </span>
  ));
}

export function Mesh(props: { route: Route }) {
  const name = props.route.params.name;
  const { data, error } = usePoll((s) => load(s, name), 10_000, [name]);
  if (!data) return error ? <Problem error={error} what={`mesh ${name}`} /> : <Loading what={`mesh ${name}`} />;
  const m = data.meshes[0];
  return (
    <>
      {error !== undefined && <Problem error={error} what="the latest state" />}
      {data.dumpsProblem !== undefined && <Problem error={data.dumpsProblem} what="CA expiry and serving egresses" />}
      <Facts
        items={[
          ['mTLS backend', <Mtls m={m} />],
          ['CA valid until', <CaExpiry m={m} problem={data.dumpsProblem} />],
          ['Zone egress routing', <YesNo value={m.zoneEgress} />],
          ['Served by egresses', <ServedBy names={m.servedBy} />],
          ['Created', dateTime(str(m.mesh.creationTime))],
          ['Modified', dateTime(str(m.mesh.modificationTime))],
        ]}
      />
      <Section title="External services" id="external-services">
        {m.externalServices.length === 0 ? (
          <p class="muted">No external services in this mesh.</p>
        ) : (
          <table class="data">
            <caption>Reached through the egress, which terminates the mesh mTLS</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Address</th>
                <th scope="col">TLS to the service</th>
                <th scope="col">Tags</th>
              </tr>
            </thead>
            <tbody>
              {m.externalServices.map((es) => {
                const net = obj(es.networking);
                return (
                  <tr key={str(es.name)} data-external-service={str(es.name)}>
                    <th scope="row">{str(es.name)}</th>
                    <td>{str(net.address)}</td>
                    <td>
                      <YesNo value={obj(net.tls).enabled === true} />
                    </td>
                    <td>{tags(es.tags)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Section>
      {m.policies.map((p) => (
        <Section key={p.kind.name} title={p.kind.displayName} id={`policy-${p.kind.path}`}>
          {p.items.length === 0 ? (
            <p class="muted">None in this mesh.</p>
          ) : (
            <ul>
              {p.items.map((it) => (
                <li key={str(it.name)}>
                  <code>{str(it.name)}</code>
                </li>
              ))}
            </ul>
          )}
        </Section>
      ))}
    </>
  );
}
