/**
 * `GET /`: who this control plane is. kumactl reads it to check it talks to a control plane;
 * zonectl adds `product` and `instanceId` so a client can tell the two apart.
 */
import { hostname } from 'node:os';
import { GUI_PATH, guiEnabled } from '../gui/module.js';
import type { ApiContext, ApiRoute } from './types.js';

export function systemModule(ctx: ApiContext): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/',
      handle: () => ({
        status: 200,
        body: {
          hostname: hostname(),
          tagline: 'zonectl',
          product: 'zonectl',
          version: ctx.version,
          basedOnKuma: '2.14.3',
          instanceId: ctx.instanceId,
          clusterId: String(ctx.options.clusterId ?? ''),
          zone: ctx.zone,
          // The GUI's path, as Kuma's index reports it (empty when the GUI is off).
          gui: guiEnabled(ctx) ? GUI_PATH : '',
          mode: ctx.mode ?? 'standalone',
        },
      }),
    },
  ];
}
