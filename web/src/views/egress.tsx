/**
 * One zone egress: its status and subscriptions (from its overview), its identities and routes
 * (from its config dump), live stats every 2 s with a chart of connections/s and bytes/s sampled
 * by the page, and a link to the full config dump.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, getText, needsAdmin } from '../api.js';
import { Chart, rates } from '../chart.js';
import { Facts, Link, Loading, Problem, Section, Status } from '../components.js';
import { ago, arr, bytes, dateTime, egressRow, obj, parseStats, redact, str, totals, type EgressStats, type Obj } from '../model.js';
import { usePoll, useTick } from '../poll.js';
import { href, type Route } from '../router.js';
import { certValidity } from '../x509.js';

const STATS_EVERY_MS = 2000;
const WINDOW_MS = 5 * 60_000;

interface Sample {
  t: number;
  connections: number;
  bytes: number;
}

/** Samples per egress, kept while the page is open so going back to an egress keeps its chart. */
const history = new Map<string, Sample[]>();

const enc = encodeURIComponent;

export function Egress(props: { route: Route }) {
  const name = props.route.params.name;
  const overview = usePoll((s) => getJson<unknown>(`/zoneegresses/${enc(name)}/_overview`, s), 3000, [name]);
  const now = useTick(1000);
  if (!overview.data) return overview.error ? <Problem error={overview.error} what={`zone egress ${name}`} /> : <Loading what={`zone egress ${name}`} />;
  const row = egressRow(overview.data);
  const ze = obj(obj(overview.data).zoneEgress);
  return (
    <>
      {overview.error !== undefined && <Problem error={overview.error} what="the latest status" />}
      <Facts
        items={[
          ['Status', <Status online={row.online} />],
          ['Zone', row.zone],
          ['Address', row.address],
          ['Admin port', row.adminPort],
          ['Last connected', `${ago(row.lastConnected, now)} (${dateTime(row.lastConnected) || 'never'})`],
          ['Last updated', `${ago(row.lastUpdated, now)} (${dateTime(row.lastUpdated) || 'never'})`],
          ['Version', row.version],
          ['Created', dateTime(str(obj(overview.data).creationTime))],
        ]}
      />
      <Section title="Subscriptions" id="subscriptions">
        <Subscriptions subs={row.subscriptions} />
      </Section>
      <LiveStats name={name} online={row.online} />
      <Labels labels={obj(ze.labels)} />
    </>
  );
}

function Subscriptions(props: { subs: ReturnType<typeof egressRow>['subscriptions'] }) {
  if (props.subs.length === 0) return <p class="muted">No config stream yet: the egress has never connected to this control plane.</p>;
  return (
    <table class="data">
      <caption>Config streams to the control plane, newest last (at most 5 are kept)</caption>
      <thead>
        <tr>
          <th scope="col">Connected</th>
          <th scope="col">Disconnected</th>
          <th scope="col">Control plane instance</th>
          <th scope="col" class="num">Versions sent</th>
          <th scope="col" class="num">Acked</th>
          <th scope="col" class="num">Rejected</th>
          <th scope="col">Last update</th>
          <th scope="col">Proxy version</th>
        </tr>
      </thead>
      <tbody>
        {props.subs.map((s) => (
          <tr key={s.id} data-subscription={s.id}>
            <td>{dateTime(s.connectTime)}</td>
            <td>{s.disconnectTime ? dateTime(s.disconnectTime) : <span class="status online">connected</span>}</td>
            <td>
              <code>{s.controlPlaneInstanceId}</code>
            </td>
            <td class="num">{s.sent}</td>
            <td class="num">{s.acked}</td>
            <td class="num">{s.rejected}</td>
            <td>{dateTime(s.lastUpdateTime)}</td>
            <td>{s.version}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LiveStats(props: { name: string; online: boolean }) {
  const { name } = props;
  const [, setVersion] = useState(0);
  const stats = usePoll(
    async (s) => {
      const parsed = parseStats(await getText(`/zoneegresses/${enc(name)}/stats`, s));
      const tot = totals(parsed);
      const list = history.get(name) ?? [];
      const t = Date.now();
      list.push({ t, connections: tot.connections, bytes: tot.bytes });
      while (list.length && list[0].t < t - WINDOW_MS) list.shift();
      history.set(name, list);
      return parsed;
    },
    STATS_EVERY_MS,
    [name],
  );
  useEffect(() => setVersion((v) => v + 1), [stats.at]);
  const samples = history.get(name) ?? [];
  const conns = rates(samples.map((s) => ({ t: s.t, v: s.connections })));
  const bps = rates(samples.map((s) => ({ t: s.t, v: s.bytes })));
  return (
    <>
      <Section title="Traffic" id="traffic" extra={<span class="muted">every {STATS_EVERY_MS / 1000} s from the egress's stats</span>}>
        {stats.error !== undefined && <Problem error={stats.error} what={props.online ? 'live stats' : 'live stats (the egress is offline)'} />}
        {!needsAdmin(stats.error) && (
          <div class="charts">
            <Chart id="cps" title="Connections per second" points={conns} windowMs={WINDOW_MS} format={(v) => `${v.toFixed(v < 10 ? 1 : 0)}/s`} />
            <Chart id="bps" title="Bytes per second" points={bps} windowMs={WINDOW_MS} format={(v) => `${bytes(v)}/s`} />
          </div>
        )}
      </Section>
      {stats.data && <Counters stats={stats.data} />}
      <Section title="Routes" id="routes">
        <Routes name={name} online={props.online} stats={stats.data} />
      </Section>
    </>
  );
}

function Counters(props: { stats: EgressStats }) {
  const s = props.stats;
  const tot = totals(s);
  const reasons = Object.entries(s.rejected);
  const denied = Object.entries(s.denied);
  return (
    <Section title="Stats" id="stats">
      <Facts
        items={[
          ['State', s.state],
          ['Config version', <code>{s.configVersion}</code>],
          ['Connections accepted', <span data-testid="stat-accepted">{s.accepted}</span>],
          ['Connections open', String(tot.active)],
          ['Bytes through', bytes(tot.bytes)],
          ['Upstream connect failures', String(s.upstreamConnectFailures)],
          ['Rejected connections', <span data-testid="stat-rejected">{reasons.reduce((n, [, v]) => n + v, 0)}</span>],
          ...(denied.length ? ([['Permission denials', <span data-testid="stat-denied">{denied.reduce((n, [, v]) => n + v, 0)}</span>]] as [string, ComponentChildren][]) : []),
        ]}
      />
      <table class="data narrow" aria-label="Rejected connections by reason">
        <caption>Connections closed before reaching an upstream, by reason</caption>
        <thead>
          <tr>
            <th scope="col">Reason</th>
            <th scope="col" class="num">Connections</th>
          </tr>
        </thead>
        <tbody>
          {[...reasons.map(([k, v]) => ['rejected', k, v] as const), ...denied.map(([k, v]) => ['denied', k, v] as const)].map(([group, k, v]) => (
            <tr key={`${group}.${k}`} data-reason={`${group}.${k}`}>
              <th scope="row">{group === 'denied' ? `denied by policy: ${k}` : k}</th>
              <td class="num">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

interface RouteView {
  sni: string;
  kind: string;
  mesh: string;
  service: string;
  endpoints: Obj[];
  address: string;
  port: string;
  tls: boolean;
}

function routesOf(dump: unknown): RouteView[] {
  return arr(obj(obj(dump).snapshot).routes).map((raw) => {
    const r = obj(raw);
    return {
      sni: str(r.sni),
      kind: str(r.kind),
      mesh: str(r.mesh),
      service: str(r.service),
      endpoints: arr(r.endpoints).map(obj),
      address: str(r.address),
      port: str(r.port),
      tls: r.tls !== undefined && r.tls !== null,
    };
  });
}

function Routes(props: { name: string; online: boolean; stats?: EgressStats }) {
  const dump = usePoll((s) => getJson<unknown>(`/zoneegresses/${enc(props.name)}/xds`, s), 10_000, [props.name]);
  if (!dump.data) return dump.error ? <Problem error={dump.error} what={props.online ? 'the routes (config dump)' : 'the routes (the egress is offline)'} /> : <Loading what="routes" />;
  const routes = routesOf(dump.data);
  const byRoute = new Map((props.stats?.routes ?? []).map((r) => [r.sni, r]));
  const ids = arr(obj(obj(dump.data).snapshot).identities).map(obj);
  return (
    <>
      <table class="data">
        <caption>
          {routes.length} route{routes.length === 1 ? '' : 's'} in config version <code>{str(obj(dump.data).version)}</code>
        </caption>
        <thead>
          <tr>
            <th scope="col">SNI</th>
            <th scope="col">Kind</th>
            <th scope="col">Mesh</th>
            <th scope="col">Destination</th>
            <th scope="col" class="num">Open</th>
            <th scope="col" class="num">Total</th>
            <th scope="col" class="num">Bytes in</th>
            <th scope="col" class="num">Bytes out</th>
          </tr>
        </thead>
        <tbody>
          {routes.map((r) => {
            const st = byRoute.get(r.sni);
            return (
              <tr key={r.sni} data-route={r.sni}>
                <th scope="row">
                  <code>{r.sni}</code>
                </th>
                <td class="kind">{r.kind === 'passthrough' ? 'Passthrough (cross-zone)' : 'Terminating (external service)'}</td>
                <td>
                  <Link href={href('meshes', r.mesh)}>{r.mesh}</Link>
                </td>
                <td>
                  {r.kind === 'passthrough' ? (
                    <ul class="plain">
                      {r.endpoints.map((e) => (
                        <li key={`${str(e.address)}:${str(e.port)}`}>
                          {str(e.address)}:{str(e.port)}
                          {e.zone ? ` in ${str(e.zone)}` : ''}, weight {str(e.weight) || '1'}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    `${r.address}:${r.port}${r.tls ? ' over TLS' : ''}`
                  )}
                </td>
                <td class="num">{st?.active ?? 0}</td>
                <td class="num">{st?.total ?? 0}</td>
                <td class="num">{bytes(st?.bytesIn ?? 0)}</td>
                <td class="num">{bytes(st?.bytesOut ?? 0)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <Section title="Identities" id="identities">
        <table class="data">
          <caption>The egress's certificate per mesh (private keys stay in the egress)</caption>
          <thead>
            <tr>
              <th scope="col">Mesh</th>
              <th scope="col">Certificate valid until</th>
              <th scope="col">Mesh CA valid until</th>
            </tr>
          </thead>
          <tbody>
            {ids.map((id) => (
              <tr key={str(id.mesh)} data-identity={str(id.mesh)}>
                <th scope="row">{str(id.mesh)}</th>
                <td>{dateTime(certValidity(str(id.certPem))?.notAfter.toISOString() ?? '')}</td>
                <td>{dateTime(certValidity(str(id.caPem))?.notAfter.toISOString() ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <p>
        <Link href={href('zoneegresses', props.name, 'config-dump')}>Full config dump</Link> (as <code>zonectl inspect zoneegress {props.name} --type config-dump</code> shows it)
      </p>
    </>
  );
}

function Labels(props: { labels: Obj }) {
  const labels = Object.entries(props.labels);
  if (!labels.length) return null;
  return (
    <Section title="Labels" id="labels">
      <p>
        {labels.map(([k, v]) => (
          <span class="tag" key={k}>
            {k}={str(v)}
          </span>
        ))}
      </p>
    </Section>
  );
}

/** The config dump of one egress, redacted again by the page (see redact()). */
export function ConfigDump(props: { route: Route }) {
  const name = props.route.params.name;
  const dump = usePoll((s) => getJson<unknown>(`/zoneegresses/${enc(name)}/xds`, s), 0, [name]);
  return (
    <>
      <p>
        <Link href={href('zoneegresses', name)}>Back to {name}</Link>
      </p>
      {dump.error !== undefined && <Problem error={dump.error} what={`the config dump of ${name}`} />}
      {!dump.data && !dump.error && <Loading what="the config dump" />}
      {dump.data !== undefined && <pre class="dump" tabIndex={0} aria-label={`Config dump of ${name}`}>{JSON.stringify(redact(dump.data), null, 2)}</pre>}
    </>
  );
}
