/**
 * Zone egresses: the table of `zonectl inspect zoneegresses`, refreshed every 3 s, sortable by
 * any column and filterable by name and status; filters and sort live in the URL.
 */
import { listAll } from '../api.js';
import { Link, Loading, Problem, Status } from '../components.js';
import { ago, egressRow, type EgressRow } from '../model.js';
import { usePoll, useTick } from '../poll.js';
import { href, setQuery, type Route } from '../router.js';

type Col = { key: string; label: string; value: (r: EgressRow) => string | number; numeric?: boolean };

const COLUMNS: Col[] = [
  { key: 'name', label: 'Name', value: (r) => r.name },
  { key: 'status', label: 'Status', value: (r) => (r.online ? 'Online' : 'Offline') },
  { key: 'zone', label: 'Zone', value: (r) => r.zone },
  { key: 'address', label: 'Address', value: (r) => r.address },
  // Sorting by time sorts by the timestamp, shown as "ago".
  { key: 'connected', label: 'Last connected', value: (r) => r.lastConnected },
  { key: 'updated', label: 'Last updated', value: (r) => r.lastUpdated },
  { key: 'updates', label: 'Total updates', value: (r) => r.totalUpdates, numeric: true },
  { key: 'errors', label: 'Total errors', value: (r) => r.totalErrors, numeric: true },
  { key: 'version', label: 'Version', value: (r) => r.version },
];

export const loadEgresses = async (signal: AbortSignal) => (await listAll('/zoneegresses/_overview', signal)).map(egressRow);

export function Egresses(props: { route: Route }) {
  const { data, error } = usePoll(loadEgresses, 3000);
  const now = useTick(1000);
  const q = props.route.query;
  const filter = q.get('q') ?? '';
  const status = q.get('status') ?? '';
  const sortKey = COLUMNS.some((c) => c.key === q.get('sort')) ? q.get('sort')! : 'name';
  const desc = q.get('order') === 'desc';

  const rows = (data ?? [])
    .filter((r) => r.name.toLowerCase().includes(filter.toLowerCase()))
    .filter((r) => status === '' || (status === 'online') === r.online)
    .sort((a, b) => {
      const col = COLUMNS.find((c) => c.key === sortKey)!;
      const x = col.value(a);
      const y = col.value(b);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return (desc ? -c : c) || a.name.localeCompare(b.name);
    });

  const sortBy = (key: string) => setQuery({ sort: key === 'name' ? undefined : key, order: key === sortKey && !desc ? 'desc' : undefined });

  return (
    <>
      <form class="filters" role="search" aria-label="Filter zone egresses" onSubmit={(e) => e.preventDefault()}>
        <label>
          Name contains{' '}
          <input type="search" name="q" value={filter} onInput={(e) => setQuery({ q: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          Status{' '}
          <select name="status" value={status} onChange={(e) => setQuery({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">All</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
          </select>
        </label>
      </form>
      {error !== undefined && <Problem error={error} what="zone egresses" />}
      {!data && !error && <Loading what="zone egresses" />}
      {data && (
        <table class="data" aria-describedby="egress-count">
          <caption id="egress-count">
            {rows.length} of {data.length} zone egress{data.length === 1 ? '' : 'es'}
            {data.length ? `, ${data.filter((r) => r.online).length} online` : ''}
          </caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} scope="col" aria-sort={c.key === sortKey ? (desc ? 'descending' : 'ascending') : 'none'} class={c.numeric ? 'num' : undefined}>
                  <button type="button" class="sort" onClick={() => sortBy(c.key)}>
                    {c.label}
                    <span aria-hidden="true" class="sort-mark">
                      {c.key === sortKey ? (desc ? ' ▼' : ' ▲') : ''}
                    </span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name} data-egress={r.name}>
                <th scope="row">
                  <Link href={href('zoneegresses', r.name)}>{r.name}</Link>
                </th>
                <td>
                  <Status online={r.online} />
                </td>
                <td>{r.zone}</td>
                <td>{r.address}</td>
                <td title={r.lastConnected}>{ago(r.lastConnected, now)}</td>
                <td title={r.lastUpdated}>{ago(r.lastUpdated, now)}</td>
                <td class="num">{r.totalUpdates}</td>
                <td class="num">{r.totalErrors}</td>
                <td>{r.version}</td>
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={COLUMNS.length} class="muted">
                  {data.length === 0 ? 'No zone egresses yet: start one with zonectl dp run --proxy-type=egress.' : 'No zone egress matches the filter.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </>
  );
}
