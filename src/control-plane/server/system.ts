/**
 * `GET /`: who this control plane is. kumactl reads it to check it talks to a control plane;
 * zonectl adds `product` and `instanceId` so a client can tell the two apart.
 */
import { hostname } from 'node:os';
import { GUI_PATH, guiEnabled } from '../gui/module.js';
import type { CpMetrics } from '../metrics/metrics.js';
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
    // Kuma serves these on its diagnostics port (5680); zonectl on the API port, to anyone (a
    // probe has no token): liveness says the process answers, readiness that it can do its job.
    { method: 'GET', path: '/healthy', handle: () => ({ status: 200, body: { status: 'ok' } }) },
    // Prometheus text format (Kuma: port 5680 beside /ready; see the README's Metrics section).
    ...(ctx.metrics ? [metricsRoute(ctx.metrics)] : []),
    {
      method: 'GET',
      path: '/ready',
      async handle() {
        const checks: Record<string, string> = {};
        try {
          await ctx.store.list({ type: 'Mesh', size: 1 });
          checks.store = 'ok';
        } catch (err) {
          checks.store = `failing: ${(err as Error).message}`;
        }
        // The dp-server module records its bound port once it listens.
        if ('dpPort' in ctx.options || 'dpPortBound' in ctx.options) checks.dpServer = ctx.options.dpPortBound !== undefined ? 'listening' : 'not listening';
        const ready = Object.values(checks).every((c) => c === 'ok' || c === 'listening');
        return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', checks } };
      },
    },
  ];
}

function metricsRoute(metrics: CpMetrics): ApiRoute {
  return {
    method: 'GET',
    path: '/metrics',
    access: 'any',
    async handle() {
      const { contentType, body } = await metrics.text();
      return { status: 200, body, headers: { 'content-type': contentType } };
    },
  };
}
