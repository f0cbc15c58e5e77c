import type { IncomingHttpHeaders } from 'node:http';

/** One operation of a rest-json or rest-xml model, as botocore describes its HTTP binding. */
export interface RestOperationSpec {
  readonly name: string;
  readonly method: string;
  /** `/2015-03-31/functions/{FunctionName}/invocations`; `{Key+}` takes the rest of the path; `?uploads` and
   * `?list-type=2` after the path are query keys (and values) the operation requires. */
  readonly requestUri: string;
  /** Query keys the operation's input requires (S3's `uploadId` tells ListParts from GetObject). */
  readonly requiredQuery?: readonly string[];
  /** Headers the operation's input requires, lower case (S3's `x-amz-copy-source` tells CopyObject from PutObject). */
  readonly requiredHeaders?: readonly string[];
}

export interface RestMatch<H> {
  /** The model's name of the operation the request is. */
  readonly operation: string;
  /** Its handler; undefined when the service does not implement it (answer 501 NotImplemented naming it). */
  readonly handler: H | undefined;
  /** URI parameters by the model's names, as received (still percent-encoded: decode with `pathParameter`). */
  readonly params: Readonly<Record<string, string>>;
}

type Segment = { literal: string } | { param: string; greedy: boolean };

interface Route<H> {
  spec: RestOperationSpec;
  segments: Segment[];
  query: Array<[string, string | undefined]>;
  headers: readonly string[];
  handler: H | undefined;
  score: number;
}

/**
 * Routes rest-json and rest-xml requests to a model's operations by method, path template, required query keys and
 * required headers; the most specific binding wins (literal segments, then query keys, then headers). Every
 * operation of the model is routable, implemented or not, so a request can never fall through to another one.
 */
export class RestRouter<H> {
  private readonly routes: Array<Route<H>>;

  constructor(operations: readonly RestOperationSpec[], handlers: Readonly<Partial<Record<string, H>>>) {
    for (const name of Object.keys(handlers)) {
      if (!operations.some((op) => op.name === name)) throw new Error(`no operation ${name} in the model`);
    }
    this.routes = operations
      .map((spec) => compile(spec, Object.hasOwn(handlers, spec.name) ? handlers[spec.name] : undefined))
      .sort((a, b) => b.score - a.score);
  }

  match(
    method: string,
    rawPath: string,
    query: URLSearchParams,
    headers: IncomingHttpHeaders,
  ): RestMatch<H> | undefined {
    const parts = rawPath.split('/').slice(1);
    for (const route of this.routes) {
      if (route.spec.method !== method) continue;
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (!route.query.every(([key, value]) => (value === undefined ? query.has(key) : query.get(key) === value)))
        continue;
      if (!route.headers.every((name) => headers[name] !== undefined)) continue;
      return { operation: route.spec.name, handler: route.handler, params };
    }
    return undefined;
  }
}

function compile<H>(spec: RestOperationSpec, handler: H | undefined): Route<H> {
  const q = spec.requestUri.indexOf('?');
  const path = q === -1 ? spec.requestUri : spec.requestUri.slice(0, q);
  const segments: Segment[] = templateParts(path).map((part) => {
    const m = /^\{([^}+]+)(\+)?\}$/.exec(part);
    return m ? { param: m[1], greedy: m[2] === '+' } : { literal: part };
  });
  const query: Array<[string, string | undefined]> = [];
  if (q !== -1) {
    for (const pair of spec.requestUri.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      query.push(eq === -1 ? [pair, undefined] : [pair.slice(0, eq), pair.slice(eq + 1)]);
    }
  }
  for (const key of spec.requiredQuery ?? []) if (!query.some(([k]) => k === key)) query.push([key, undefined]);
  const headers = spec.requiredHeaders ?? [];
  const literals = segments.filter((s) => 'literal' in s).length;
  const greedy = segments.some((s) => 'greedy' in s && s.greedy) ? 0 : 1;
  return {
    spec,
    segments,
    query,
    headers,
    handler,
    score: literals * 10_000 + greedy * 1000 + query.length * 10 + headers.length,
  };
}

/** A template's segments; a trailing slash is not one (`/2015-03-31/functions/` is `/2015-03-31/functions`). */
function templateParts(path: string): string[] {
  const parts = path.split('/').slice(1);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if ('literal' in segment) {
      if (parts[i] !== segment.literal) return undefined;
      continue;
    }
    if (segment.greedy) {
      const rest = parts.slice(i).join('/');
      if (rest === '') return undefined;
      params[segment.param] = rest;
      return params;
    }
    if (parts[i] === undefined || parts[i] === '') return undefined;
    params[segment.param] = parts[i];
  }
  // One trailing slash more than the template is the same resource.
  const extra = parts.length - segments.length;
  return extra === 0 || (extra === 1 && parts[parts.length - 1] === '') ? params : undefined;
}
