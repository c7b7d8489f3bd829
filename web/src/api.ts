/**
 * The page's only data source: the control plane's REST API on the same origin, with the same
 * auth as curl or zonectl (localhost is admin; elsewhere an optional admin token, kept for this
 * browser tab only in sessionStorage and never shown again).
 */

const TOKEN_KEY = 'zonectl.adminToken';

/** A problem-details answer (or a network failure, status 0) from the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export function adminToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setAdminToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

async function call(path: string, accept: string, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { accept };
  const token = adminToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { headers, cache: 'no-store', signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, path, `the control plane did not answer ${path} (is it running?)`);
  }
  if (!res.ok) {
    let detail = `${res.status} ${res.statusText}`;
    try {
      const p = (await res.json()) as { detail?: string; title?: string };
      detail = p.detail || p.title || detail;
    } catch {
      // Not problem details; the status line says enough.
    }
    throw new ApiError(res.status, path, detail);
  }
  return res;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await (await call(path, 'application/json', signal)).json()) as T;
}

export async function getText(path: string, signal?: AbortSignal): Promise<string> {
  return (await call(path, 'text/plain', signal)).text();
}

export interface List<T> {
  total: number;
  items: T[];
  next: string | null;
}

/** Every item of a collection, following `next` (1000 per page, at most 20 pages). */
export async function listAll<T>(path: string, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let url: string | null = `${path}${path.includes('?') ? '&' : '?'}size=1000`;
  for (let page = 0; url && page < 20; page++) {
    const body: List<T> = await getJson<List<T>>(url, signal);
    items.push(...body.items);
    // `next` is absolute with the host the server saw; keep it on this origin.
    url = body.next ? new URL(body.next, location.href).pathname + new URL(body.next, location.href).search : null;
  }
  return items;
}

/** GET that answers undefined on 404/405 (an endpoint this control plane does not have). */
export async function getOptional<T>(path: string, signal?: AbortSignal): Promise<T | undefined> {
  try {
    return await getJson<T>(path, signal);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return undefined;
    throw err;
  }
}

/** True when the answer means "you need admin rights" (not "it failed"). */
export function needsAdmin(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 401 || err.status === 403);
}
