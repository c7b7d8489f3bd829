/**
 * Zones of a multizone global control plane (shown only when the API has `/zones`): status per
 * zone, its last sync, the zone control plane's version and what it synced, from the zone
 * overviews (Kuma's ZoneOverview: `zone` plus `zoneInsight.subscriptions`).
 */
import { listAll } from '../api.js';
import { Loading, Problem, Status, YesNo } from '../components.js';
import { ago, arr, count, dateTime, obj, str, type Obj } from '../model.js';
import { usePoll, useTick } from '../poll.js';
import { zoneOnline } from './home.js';

interface ZoneRow {
  name: string;
  enabled: boolean;
  online: boolean;
  lastConnected: string;
  lastSync: string;
  version: string;
  /** Resource types the zone received, with how many updates of each it acknowledged. */
  synced: [string, number][];
}

function zoneRow(o: Obj): ZoneRow {
  const subs = arr(obj(o.zoneInsight).subscriptions).map(obj);
  const latest = subs.filter((s) => str(s.connectTime)).sort((a, b) => Date.parse(str(a.connectTime)) - Date.parse(str(b.connectTime))).pop() ?? {};
  const status = obj(latest.status);
  const stat = Object.entries(obj(status.stat)).map(([k, v]): [string, number] => [k, count(obj(v).responsesAcknowledged)]);
  const zone = o.zone !== undefined ? obj(o.zone) : o;
  return {
    name: str(o.name),
    enabled: zone.enabled !== false,
    online: zoneOnline(o),
    lastConnected: str(latest.connectTime),
    lastSync: str(status.lastUpdateTime),
    version: str(obj(obj(latest.version).kumaCp).version) || str(obj(obj(latest.version).zonectl).version),
    synced: stat,
  };
}

async function load(signal: AbortSignal): Promise<ZoneRow[]> {
  let items: Obj[];
  try {
    items = await listAll<Obj>('/zones/_overview', signal);
  } catch {
    items = await listAll<Obj>('/zones', signal);
  }
  return items.map(zoneRow);
}

export function Zones() {
  const { data, error } = usePoll(load, 5000);
  const now = useTick(1000);
  if (!data) return error ? <Problem error={error} what="zones" /> : <Loading what="zones" />;
  return (
    <table class="data">
      <caption>
        {data.length} zone{data.length === 1 ? '' : 's'}, {data.filter((z) => z.online).length} online
      </caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Enabled</th>
          <th scope="col">Last connected</th>
          <th scope="col">Last sync</th>
          <th scope="col">Zone CP version</th>
          <th scope="col">Resources synced</th>
        </tr>
      </thead>
      <tbody>
        {data.map((z) => (
          <tr key={z.name} data-zone={z.name}>
            <th scope="row">{z.name}</th>
            <td>
              <Status online={z.online} />
            </td>
            <td>
              <YesNo value={z.enabled} />
            </td>
            <td title={dateTime(z.lastConnected)}>{ago(z.lastConnected, now)}</td>
            <td title={dateTime(z.lastSync)}>{ago(z.lastSync, now)}</td>
            <td>{z.version}</td>
            <td>
              {z.synced.length === 0
                ? '—'
                : z.synced.map(([k, n]) => (
                    <span class="tag" key={k}>
                      {k}: {n}
                    </span>
                  ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
