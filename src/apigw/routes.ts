/** Route keys (`$default` or `METHOD /path`) and route selection with API Gateway's precedence. */

export const ROUTE_METHODS = ['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

type Segment = { kind: 'literal'; value: string } | { kind: 'var'; name: string } | { kind: 'greedy'; name: string };

export interface ParsedRouteKey {
  key: string;
  method: string;
  path: string;
  segments: Segment[];
}

export type RouteKey = ParsedRouteKey | { key: '$default' };

export class RouteKeyError extends Error {}

const VARIABLE = /^\{([A-Za-z0-9._-]+)(\+?)\}$/;

/** Parses and validates a route key; throws RouteKeyError saying what is wrong. */
export function parseRouteKey(key: string): RouteKey {
  if (key === '$default') return { key };
  const space = key.indexOf(' ');
  if (space <= 0 || key.indexOf(' ', space + 1) !== -1) {
    throw new RouteKeyError(`route key must be '$default' or '<METHOD> <path>' with one space, got '${key}'`);
  }
  const method = key.slice(0, space);
  const path = key.slice(space + 1);
  if (!(ROUTE_METHODS as readonly string[]).includes(method)) {
    throw new RouteKeyError(`unsupported HTTP method '${method}' (use one of ${ROUTE_METHODS.join(', ')})`);
  }
  if (!path.startsWith('/')) throw new RouteKeyError(`route path must start with '/', got '${path}'`);
  if (path.length > 1 && path.endsWith('/')) throw new RouteKeyError(`route path must not end with '/', got '${path}'`);
  const segments: Segment[] = [];
  const parts = path === '/' ? [] : path.slice(1).split('/');
  parts.forEach((part, i) => {
    if (part === '') throw new RouteKeyError(`route path has an empty segment: '${path}'`);
    const v = VARIABLE.exec(part);
    if (v) {
      if (v[2] && i !== parts.length - 1)
        throw new RouteKeyError(`greedy path variable '${part}' must be the last segment of '${path}'`);
      segments.push(v[2] ? { kind: 'greedy', name: v[1] } : { kind: 'var', name: v[1] });
    } else if (/[{}]/.test(part)) {
      throw new RouteKeyError(`invalid path variable '${part}' in '${path}' (use {name} or a final {name+})`);
    } else {
      segments.push({ kind: 'literal', value: part });
    }
  });
  return { key, method, path, segments };
}

/**
 * The existing route key whose variable sits at the same level under a different name (AWS rejects both
 * `/a/{x}` and `/a/{y}` in one API), or undefined.
 */
export function findConflictingVariable(
  candidate: ParsedRouteKey,
  existing: ParsedRouteKey[],
): ParsedRouteKey | undefined {
  return existing.find((other) => {
    const n = Math.min(candidate.segments.length, other.segments.length);
    for (let i = 0; i < n; i++) {
      const a = candidate.segments[i];
      const b = other.segments[i];
      if (a.kind === 'literal' || b.kind === 'literal') {
        if (a.kind !== 'literal' || b.kind !== 'literal' || a.value !== b.value) return false;
        continue;
      }
      if (a.kind !== b.kind) return false;
      if (a.name !== b.name) return true;
    }
    return false;
  });
}

export interface RouteMatch<T> {
  route: T;
  routeKey: string;
  pathParameters?: Record<string, string>;
}

interface CompiledRoute<T> {
  route: T;
  parsed: ParsedRouteKey;
  rank: Rank;
}

/** Picks the route for a request: full match (static beats variable, left to right) > greedy > `$default`; explicit method > ANY. */
export class RouteTable<T> {
  private readonly routes: CompiledRoute<T>[] = [];
  private defaultRoute?: T;

  constructor(entries: Iterable<{ routeKey: string; route: T }>) {
    for (const { routeKey, route } of entries) {
      const parsed = parseRouteKey(routeKey);
      if (parsed.key === '$default') this.defaultRoute = route;
      else this.routes.push({ route, parsed: parsed as ParsedRouteKey, rank: rankOf(parsed as ParsedRouteKey) });
    }
  }

  /** `path` is the decoded request path without the stage prefix. */
  match(method: string, path: string): RouteMatch<T> | undefined {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const parts = trimmed === '/' || trimmed === '' ? [] : trimmed.slice(1).split('/');
    let best: CompiledRoute<T> | undefined;
    let bestParams: Record<string, string> | undefined;
    for (const c of this.routes) {
      if (c.parsed.method !== method && c.parsed.method !== 'ANY') continue;
      const params = matchSegments(c.parsed.segments, parts);
      if (params === null) continue;
      if (!best || compareRanks(c.rank, best.rank) > 0) {
        best = c;
        bestParams = params;
      }
    }
    if (best) return { route: best.route, routeKey: best.parsed.key, pathParameters: bestParams };
    if (this.defaultRoute !== undefined) return { route: this.defaultRoute, routeKey: '$default' };
    return undefined;
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined | null {
  let params: Record<string, string> | undefined;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s.kind === 'greedy') {
      if (i >= parts.length) return null;
      (params ??= {})[s.name] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined || part === '') return null;
    if (s.kind === 'literal') {
      if (s.value !== part) return null;
    } else {
      (params ??= {})[s.name] = part;
    }
  }
  return segments.length === parts.length ? params : null;
}

interface Rank {
  full: number;
  segments: number[];
  explicitMethod: number;
}

/** Full matches beat greedy ones; then, segment by segment from the left, literal > {var} > {greedy+}; then explicit method > ANY. */
function rankOf(parsed: ParsedRouteKey): Rank {
  return {
    full: parsed.segments.at(-1)?.kind === 'greedy' ? 0 : 1,
    segments: parsed.segments.map((s) => (s.kind === 'literal' ? 2 : s.kind === 'var' ? 1 : 0)),
    explicitMethod: parsed.method === 'ANY' ? 0 : 1,
  };
}

function compareRanks(a: Rank, b: Rank): number {
  if (a.full !== b.full) return a.full - b.full;
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i] ?? -1;
    const y = b.segments[i] ?? -1;
    if (x !== y) return x - y;
  }
  return a.explicitMethod - b.explicitMethod;
}
