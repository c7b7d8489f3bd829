/** Home: counts and health at a glance, and who this control plane is. */
import { getJson, getOptional, listAll } from '../api.js';
import { capabilities, total } from '../capabilities.js';
import { Facts, Link, Loading, Problem, Section } from '../components.js';
import { egressRow, obj, str } from '../model.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';

interface HomeData {
  index: Record<string, unknown>;
  config?: Record<string, unknown>;
  meshes: number;
  egresses: { total: number; online: number };
  ingresses: number;
  externalServices: number;
  policies?: number;
  zones?: { total: number; online: number };
}

async function load(signal: AbortSignal): Promise<HomeData> {
  const caps = await capabilities();
  const [index, meshes, overviews, ingresses, externalServices, policyTotals, zoneOverviews, config] = await Promise.all([
    getJson<Record<string, unknown>>('/', signal),
    total('/meshes', signal),
    listAll('/zoneegresses/_overview', signal),
    total('/zoneingresses', signal),
    total('/external-services', signal),
    Promise.all(caps.policies.map((k) => total(`/${k.path}`, signal))),
    caps.zones ? listAll('/zones/_overview', signal).catch(() => listAll('/zones', signal)) : Promise.resolve(undefined),
    // Admin only (secrets redacted); without admin rights the store line is left out.
    getOptional<Record<string, unknown>>('/config', signal).catch(() => undefined),
  ]);
  const rows = overviews.map(egressRow);
  return {
    index,
    config,
    meshes,
    egresses: { total: rows.length, online: rows.filter((r) => r.online).length },
    ingresses,
    externalServices,
    policies: caps.policies.length ? policyTotals.reduce((a, b) => a + b, 0) : undefined,
    zones: zoneOverviews ? { total: zoneOverviews.length, online: zoneOverviews.filter(zoneOnline).length } : undefined,
  };
}

/** A zone is Online when its insight has a connected, not disconnected subscription (as for egresses). */
export function zoneOnline(z: unknown): boolean {
  const subs = obj(obj(z).zoneInsight).subscriptions;
  return Array.isArray(subs) && subs.some((s) => str(obj(s).connectTime) !== '' && str(obj(s).disconnectTime) === '');
}

function Card(props: { label: string; value: number | string; detail?: string; link?: string; testId: string }) {
  const body = (
    <>
      <span class="card-value" data-testid={props.testId}>
        {props.value}
      </span>
      <span class="card-label">{props.label}</span>
      {props.detail && <span class="card-detail">{props.detail}</span>}
    </>
  );
  return <li class="card">{props.link ? <Link href={props.link}>{body}</Link> : <div>{body}</div>}</li>;
}

export function Home() {
  const { data, error } = usePoll(load, 5000);
  if (!data) return error ? <Problem error={error} what="the overview" /> : <Loading what="the overview" />;
  const i = data.index;
  const store = str(obj(obj(data.config).store).type);
  const offline = data.egresses.total - data.egresses.online;
  return (
    <>
      {error !== undefined && <Problem error={error} what="the latest numbers" />}
      <Section title="At a glance" id="glance">
        <ul class="cards">
          <Card label="Meshes" value={data.meshes} link={href('meshes')} testId="count-meshes" />
          {data.zones && <Card label="Zones" value={data.zones.total} detail={`${data.zones.online} online`} link={href('zones')} testId="count-zones" />}
          <Card
            label="Zone egresses"
            value={data.egresses.total}
            detail={`${data.egresses.online} online, ${offline} offline`}
            link={href('zoneegresses')}
            testId="count-egresses"
          />
          <Card label="Zone ingresses" value={data.ingresses} testId="count-ingresses" />
          <Card label="External services" value={data.externalServices} link={href('meshes')} testId="count-external-services" />
          {data.policies !== undefined && <Card label="Policies" value={data.policies} link={href('meshes')} testId="count-policies" />}
        </ul>
        {offline > 0 && (
          <p class="warn" role="status">
            <span aria-hidden="true">⚠ </span>
            {offline} zone egress{offline === 1 ? ' is' : 'es are'} offline. <Link href={`${href('zoneegresses')}?status=offline`}>Show offline egresses</Link>
          </p>
        )}
      </Section>
      <Section title="Control plane" id="cp">
        <Facts
          items={[
            ['Product', `${str(i.product)} ${str(i.version)}`],
            ['Based on Kuma', str(i.basedOnKuma)],
            ['Zone', str(i.zone)],
            ['Host', str(i.hostname)],
            ['Instance', str(i.instanceId)],
            ['Cluster', str(i.clusterId)],
            ...(store ? ([['Store', store]] as [string, string][]) : []),
          ]}
        />
      </Section>
    </>
  );
}
