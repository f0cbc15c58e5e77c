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
