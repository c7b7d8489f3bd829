/**
 * The web view (`/gui` on the API port, as Kuma serves its GUI): static files built from web/ by
 * scripts/build.d/60-web.mjs into dist/web/, read once at start and served from memory. The page
 * is a single-page app that talks only to this same REST API, so every path under /gui that is
 * not a built asset answers index.html and the page's router picks the view (deep links, reload).
 *
 * Read-only and public like the API's own GETs: what the page shows is what the caller may read
 * with curl; admin-only data (config dumps, stats) needs the same rights as the API gives.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError, UnavailableError } from '../../core/errors.js';
import type { ApiContext, ApiRequest, ApiResponse, ApiRoute } from '../server/types.js';

/** Where the GUI is served; `GET /` reports it in its `gui` field. */
export const GUI_PATH = '/gui';

/** ApiContext.options keys this module reads. */
export interface GuiModuleOptions {
  /** Set false to not serve the GUI (`GET /` then reports `gui: ""`, as Kuma does when disabled). */
  gui?: boolean;
  /** Directory of the built page (default: dist/web of this package). */
  guiDir?: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/**
 * Everything the page loads comes from this origin, and it may only call this origin: the CSP
 * makes "no request leaves the machine" a browser-enforced property, not only a habit of the code.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Deepest view path the page has (`/gui/zoneegresses/NAME/config-dump`), plus room to grow. */
const MAX_DEPTH = 5;

export function guiEnabled(ctx: Pick<ApiContext, 'options'>): boolean {
  return (ctx.options as GuiModuleOptions).gui !== false;
}

export function guiModule(ctx: ApiContext): ApiRoute[] {
  if (!guiEnabled(ctx)) return [];
  const dir = (ctx.options as GuiModuleOptions).guiDir ?? defaultGuiDir();
  let assets: Map<string, Asset> | undefined;
  // Loaded lazily and once: a control plane started before `npm run build` finished still serves
  // the API, and the GUI explains itself instead of failing the start.
  const load = () => (assets ??= loadAssets(dir));
  const handle = (req: ApiRequest): ApiResponse => serve(load(), dir, req);
  const routes: ApiRoute[] = [{ method: 'GET', path: GUI_PATH, access: 'any', handle }];
  let path = GUI_PATH;
  for (let i = 1; i <= MAX_DEPTH; i++) {
    path += `/:p${i}`;
    routes.push({ method: 'GET', path, access: 'any', handle });
  }
  return routes;
}

function serve(assets: Map<string, Asset>, dir: string, req: ApiRequest): ApiResponse {
  const index = assets.get('index.html');
  if (!index) throw new UnavailableError(`the web view is not built (no index.html in ${dir}); run 'npm run build' and restart the control plane`);
  const rel = req.path.slice(GUI_PATH.length).replace(/^\/+/, '').replace(/\/+$/, '');
  const asset = rel === '' ? index : assets.get(rel);
  // A missing file under assets/ is a real 404 (a stale page asking for an old bundle must not
  // get HTML back as JavaScript); any other path is a view of the page.
  if (!asset && rel.startsWith('assets/')) throw new NotFoundError(`no file ${rel} in the web view; reload the page (the control plane may have been upgraded)`);
  const a = asset ?? index;
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': a.type, etag: a.etag, 'cache-control': 'no-cache' };
  if (req.headers['if-none-match'] === a.etag) return { status: 304, headers };
  return { status: 200, body: a.body, headers };
}

function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const body = readFileSync(full);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        out.set(relative(dir, full).split(sep).join('/'), { body, type: TYPES[extname(name)] ?? 'application/octet-stream', etag });
      }
    }
  };
  walk(dir);
  return out;
}

/** dist/web of this package, from src/control-plane/gui (tsx) or dist/control-plane/gui (built). */
function defaultGuiDir(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return join(root, 'dist', 'web');
}
