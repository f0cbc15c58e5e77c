import type { IncomingHttpHeaders } from 'node:http';

/** One operation of a REST service model (rest-json, rest-xml): botocore's `name`, `http.method`, `http.requestUri`. */
export interface ModelOperation {
  readonly name: string;
  readonly method: string;
  /** A path template with `{Label}` (one segment) and `{Label+}` (the rest) labels; it may end with `?key` or `?key=value`. */
  readonly uri: string;
}

/** What a request resolved to: an operation of the model, its handler if the service implements it, its URI labels. */
export interface OperationMatch<Name extends string, H> {
  operation: Name;
  handler: H | undefined;
  /** URI labels by their name in the model, decoded. */
  labels: Record<string, string>;
}

/** The parts of a request the router reads; `query` is read only where a template has a query part. */
export interface RoutableRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly query: URLSearchParams;
}

interface Entry<Name, H> {
  operation: Name;
  handler: H | undefined;
  labelNames: string[];
  query?: { key: string; value?: string };
}

interface TrieNode<Name, H> {
  literals: Map<string, TrieNode<Name, H>>;
  label?: TrieNode<Name, H>;
  /** Operations whose template ends here, by method (query-qualified ones first). */
  methods?: Map<string, Array<Entry<Name, H>>>;
  /** Operations whose template ends here with a greedy label, by method. */
  greedy?: Map<string, Array<Entry<Name, H>>>;
}

const newNode = <Name, H>(): TrieNode<Name, H> => ({ literals: new Map() });

/**
 * Routes requests to the operations of a REST service model. The templates are compiled into a trie of path
 * segments, so a request costs one map lookup per segment, whatever the number of operations.
 * Literal segments win over labels, labels over greedy labels; a trailing `/` is ignored.
 */
export class RestOperationRouter<Name extends string, H> {
  private readonly root: TrieNode<Name, H> = newNode();

  /**
   * `decodeLabel` turns a raw (percent-encoded) label into its value; it throws the service's own error on a bad
   * escape.
   */
  constructor(
    operations: ReadonlyArray<{ readonly name: Name; readonly method: string; readonly uri: string }>,
    handlers: Partial<Record<Name, H>>,
    private readonly decodeLabel: (raw: string) => string,
  ) {
    for (const op of operations) this.add(op.name, op.method, op.uri, handlers[op.name]);
    const known = new Set<string>(operations.map((o) => o.name));
    for (const name of Object.keys(handlers)) {
      if (!known.has(name)) throw new Error(`handler for ${name}, which the model does not have`);
    }
  }

  /** The operation `request` names, or undefined when no operation of the model has its method and path. */
  match(request: RoutableRequest): OperationMatch<Name, H> | undefined {
    const { rawPath } = request;
    if (rawPath.charCodeAt(0) !== 47 /* '/' */) return undefined;
    const segments = rawPath.split('/');
    if (segments.length > 2 && segments[segments.length - 1] === '') segments.pop();
    const raw: string[] = [];
    const entry = this.walk(this.root, segments, 1, raw, request);
    if (!entry) return undefined;
    const labels: Record<string, string> = {};
    for (let i = 0; i < entry.labelNames.length; i++) labels[entry.labelNames[i]] = this.decodeLabel(raw[i]);
    return { operation: entry.operation, handler: entry.handler, labels };
  }

  private walk(
    node: TrieNode<Name, H>,
    segments: string[],
    i: number,
    raw: string[],
    request: RoutableRequest,
  ): Entry<Name, H> | undefined {
    if (i === segments.length) return pick(node.methods, request);
    const segment = segments[i];
    const literal = node.literals.get(segment);
    if (literal) {
      const found = this.walk(literal, segments, i + 1, raw, request);
      if (found) return found;
    }
    if (node.label && segment !== '') {
      raw.push(segment);
      const found = this.walk(node.label, segments, i + 1, raw, request);
      if (found) return found;
      raw.pop();
    }
    if (node.greedy) {
      const rest = segments.slice(i).join('/');
      if (rest !== '') {
        const found = pick(node.greedy, request);
        if (found) {
          raw.push(rest);
          return found;
        }
      }
    }
    return undefined;
  }

  private add(operation: Name, method: string, uri: string, handler: H | undefined): void {
    const q = uri.indexOf('?');
    const path = q === -1 ? uri : uri.slice(0, q);
    const entry: Entry<Name, H> = { operation, handler, labelNames: [] };
    if (q !== -1) {
      const [key, value] = uri.slice(q + 1).split('=') as [string, string | undefined];
      entry.query = value === undefined ? { key } : { key, value };
    }
    let node = this.root;
    const segments = path.split('/').slice(1);
    if (segments.at(-1) === '') segments.pop();
    for (const [index, segment] of segments.entries()) {
      const label = /^\{([^}]+?)(\+?)\}$/.exec(segment);
      if (label?.[2] === '+') {
        if (index !== segments.length - 1) throw new Error(`greedy label not last in ${uri}`);
        entry.labelNames.push(label[1]);
        node.greedy ??= new Map();
        return addEntry(node.greedy, method, entry);
      }
      if (label) {
        entry.labelNames.push(label[1]);
        node = node.label ??= newNode();
      } else {
        let next = node.literals.get(segment);
        if (!next) node.literals.set(segment, (next = newNode()));
        node = next;
      }
    }
    node.methods ??= new Map();
    addEntry(node.methods, method, entry);
  }
}

function addEntry<Name, H>(byMethod: Map<string, Array<Entry<Name, H>>>, method: string, entry: Entry<Name, H>): void {
  const list = byMethod.get(method) ?? [];
  list.push(entry);
  // The more specific template (with a query part) is tried first.
  list.sort((a, b) => Number(b.query !== undefined) - Number(a.query !== undefined));
  byMethod.set(method, list);
}

function pick<Name, H>(
  byMethod: Map<string, Array<Entry<Name, H>>> | undefined,
  request: RoutableRequest,
): Entry<Name, H> | undefined {
  const list = byMethod?.get(request.method);
  if (!list) return undefined;
  if (list.length === 1 && !list[0].query) return list[0];
  for (const entry of list) {
    if (!entry.query) return entry;
    const value = request.query.get(entry.query.key);
    if (value !== null && (entry.query.value === undefined || value === entry.query.value)) return entry;
  }
  return undefined;
}

// RestRouter below (linear, with required query keys and headers) serves S3 until it is folded into RestOperationRouter.

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
