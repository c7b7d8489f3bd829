/**
 * The `_overview` listings behind `inspect zones|zoneegresses|zoneingresses`: every page of a
 * collection of overviews (a resource with its insight), printed as one list.
 */
import type { ChalkInstance } from 'chalk';
import { clockFromEnv, type Clock } from '../core/clock.js';
import type { ApiClient } from '../client/api-client.js';
import { listAllPath, type ResourceList } from '../client/resources.js';
import type { Resource } from '../resources/types.js';
import type { Renderers } from './data-command.js';
import { colorsFor, renderYaml } from './printers.js';

/** Every overview under `path` (e.g. `/zones/_overview`), all pages read, as one list. */
export async function listOverviews(client: ApiClient, path: string): Promise<ResourceList> {
  const items: Resource[] = await listAllPath(client, path);
  return { total: items.length, items, next: null };
}

export type OverviewTable = (overviews: readonly Resource[], clock: Clock, colors: ChalkInstance, opts?: { wide?: boolean }) => string;

/** `-o table|wide|yaml` of an overview list; the table and its wide form come from `renderTable`. */
export function overviewViews(renderTable: OverviewTable): (list: ResourceList) => Renderers {
  return (list) => ({
    table: () => renderTable(list.items, clockFromEnv(), colorsFor()),
    wide: () => renderTable(list.items, clockFromEnv(), colorsFor(), { wide: true }),
    yaml: () => renderYaml(list),
  });
}
