/**
 * Path routing for ApiRoutes: a tree of path segments where static segments win over `:params`
 * (so `/zoneegresses/_overview` beats `/zoneegresses/:name`). Matching is per segment, no regexes.
 */
import { ValidationError } from '../../core/errors.js';
import type { ApiRoute } from './types.js';

interface Node {
  statics: Map<string, Node>;
  /** One parameter child per position; names live on the routes (`/meshes/:name` and `/meshes/:mesh/...` share it). */
  param?: Node;
  methods: Map<string, { route: ApiRoute; names: string[] }>;
}

function node(): Node {
  return { statics: new Map(), methods: new Map() };
}

export type Match = { kind: 'found'; route: ApiRoute; params: Record<string, string> } | { kind: 'no-method'; allowed: string[] } | { kind: 'no-path' };

export class Router {
  private root = node();

  add(route: ApiRoute): void {
    let n = this.root;
    const names: string[] = [];
    for (const seg of split(route.path)) {
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        n = n.param ??= node();
      } else {
        let next = n.statics.get(seg);
        if (!next) n.statics.set(seg, (next = node()));
        n = next;
      }
    }
    if (n.methods.has(route.method)) throw new Error(`route ${route.method} ${route.path} is registered twice`);
    n.methods.set(route.method, { route, names });
  }

  match(method: string, rawPath: string): Match {
    const values: string[] = [];
    const found = this.walk(this.root, split(rawPath), 0, values);
    if (!found) return { kind: 'no-path' };
    const entry = found.methods.get(method);
    if (!entry) return { kind: 'no-method', allowed: [...found.methods.keys()] };
    const params: Record<string, string> = {};
    entry.names.forEach((name, i) => (params[name] = decode(values[i])));
    return { kind: 'found', route: entry.route, params };
  }

  private walk(n: Node, segs: string[], i: number, values: string[]): Node | undefined {
    if (i === segs.length) return n.methods.size ? n : undefined;
    const seg = segs[i];
    const stat = n.statics.get(seg);
    if (stat) {
      const r = this.walk(stat, segs, i + 1, values);
      if (r) return r;
    }
    if (n.param && seg !== '') {
      values.push(seg);
      const r = this.walk(n.param, segs, i + 1, values);
      if (r) return r;
      values.pop();
    }
    return undefined;
  }
}

function split(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed === '/' || trimmed === '' ? [] : trimmed.slice(1).split('/');
}

function decode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw new ValidationError(`malformed percent-encoding in path segment "${seg}"`, [{ field: 'path', message: 'malformed percent-encoding' }], 'Bad Request');
  }
}
