import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { Integration } from './model.ts';
import { escapesBasePath } from './path-safety.ts';
import type { GatewayRequest } from './request-context.ts';

/** Headers that belong to one connection and are never forwarded (RFC 9110 §7.6.1), plus `host`, which is rewritten. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'host',
]);
/** Request headers not passed on: hop-by-hop ones and those the gateway sets itself (a client's own are replaced). */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'forwarded', 'x-amzn-trace-id']);
export const MAX_PAYLOAD = 10 * 1024 * 1024;
/** Paths and queries that `URL` would leave exactly as they are (no dot segments, nothing to percent-encode). */
const PLAIN_PATH = /^(?:\/(?!\.\.?(?:\/|$))[\w.~-]*)*$/;
const PLAIN_QUERY = /^[\w.~\-=&%+,;:@/?!$()*]*$/;

export type ProxyOutcome =
  | { kind: 'sent'; status: number; length: number }
  | { kind: 'failed'; error: 'unavailable' | 'internal' | 'tooLarge' | 'badRequest'; message: string };

class PayloadTooLarge extends Error {}
class ClientGone extends Error {
  constructor() {
    super('the client closed the connection');
  }
}
class IntegrationTimeout extends Error {}

/** An integration URI without `{param}` placeholders, parsed once. */
interface ParsedUri {
  origin: string;
  /** Pathname without a trailing slash, for appending the request path. */
  base: string;
  pathname: string;
  search: string;
  /** The URI is a bare origin (`http://host`), so the request path is appended. */
  bareHost: boolean;
}

/** HTTP_PROXY integrations: one keep-alive undici pool per upstream origin; bodies stream both ways. */
export class HttpProxy {
  private readonly pools = new Map<string, Pool>();
  private readonly parsedUris = new Map<string, ParsedUri>();

  /**
   * The upstream URL: `{param}` placeholders filled; the client's query is passed on. The request path (without
   * the stage) is appended for the `$default` route and when the URI has no path of its own, as in the platform's
   * `http://$ALB_DNS` (unconfirmed on AWS for named routes; a URI with a path is used as written).
   */
  static targetUrl(g: GatewayRequest, uri: string): URL {
    const filled = uri.replace(/\{([A-Za-z0-9._-]+)\+?\}/g, (m, name: string) => {
      const value = g.pathParameters?.[name];
      return value === undefined ? m : value.split('/').map(encodeURIComponent).join('/');
    });
    const url = new URL(filled);
    if (g.routeKey === '$default' || isBareHost(url, filled))
      url.pathname = url.pathname.replace(/\/$/, '') + encodePath(g.path);
    if (g.rawQuery) url.search = url.search ? `${url.search}&${g.rawQuery}` : `?${g.rawQuery}`;
    return url;
  }

  /** `targetUrl` as origin and request target; URIs without placeholders are parsed once and plain paths skip `URL`. */
  private target(g: GatewayRequest, uri: string): { origin: string; path: string } {
    const parsed = uri.includes('{') ? undefined : this.parsedUri(uri);
    if (!parsed || !PLAIN_PATH.test(g.path) || !PLAIN_QUERY.test(g.rawQuery)) {
      const url = HttpProxy.targetUrl(g, uri);
      return { origin: url.origin, path: url.pathname + url.search };
    }
    const pathname = g.routeKey === '$default' || parsed.bareHost ? parsed.base + g.path : parsed.pathname;
    const search = g.rawQuery ? (parsed.search ? `${parsed.search}&${g.rawQuery}` : `?${g.rawQuery}`) : parsed.search;
    return { origin: parsed.origin, path: (pathname || '/') + search };
  }

  private parsedUri(uri: string): ParsedUri {
    let parsed = this.parsedUris.get(uri);
    if (!parsed) {
      const url = new URL(uri);
      parsed = {
        origin: url.origin,
        base: url.pathname.replace(/\/$/, ''),
        pathname: url.pathname,
        search: url.search,
        bareHost: isBareHost(url, uri),
      };
      // URIs come from deployed integrations (and stage variables); the bound only guards against unbounded growth.
      if (this.parsedUris.size >= 1000) this.parsedUris.clear();
      this.parsedUris.set(uri, parsed);
    }
    return parsed;
  }

  forward(
    g: GatewayRequest,
    integration: Integration,
    uri: string,
    res: ServerResponse,
    extraHeaders: string[],
    dropHeader: (name: string) => boolean,
  ): Promise<ProxyOutcome> {
    if (escapesBasePath(g.path))
      return Promise.resolve({ kind: 'failed', error: 'badRequest', message: `The path ${g.path} has dot segments` });
    let target: { origin: string; path: string };
    try {
      target = this.target(g, uri);
    } catch {
      return Promise.resolve({ kind: 'failed', error: 'internal', message: `Invalid integration URI ${uri}` });
    }
    const req = g.req;
    const raw = req.rawHeaders;
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const lower = raw[i].toLowerCase();
      if (!NOT_FORWARDED.has(lower)) headers.push(raw[i], raw[i + 1]);
    }
    // No `host`: undici writes the pool's origin host (`host[:port]`, the port only when not the default) first.
    headers.push(
      'forwarded',
      `by=${req.socket.localAddress ?? '127.0.0.1'};for=${g.sourceIp};host=${req.headers.host ?? g.domainName};proto=http`,
      'x-amzn-trace-id',
      g.traceId,
    );

    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const method =
      integration.integrationMethod === 'ANY' || !integration.integrationMethod
        ? g.method
        : integration.integrationMethod;
    const relay = new ResponseRelay(res, extraHeaders, dropHeader, integration.timeoutInMillis);
    // A body an authorizer already read (to check its signature) is sent as it is.
    const body = g.body ?? (hasBody ? relay.streamBody(req) : null);
    const options = { path: target.path, method, headers, body, headersTimeout: relay.timeout, bodyTimeout: 0 };
    return relay.run(this.pool(target.origin), options);
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: 256, keepAliveTimeout: 4_000, connect: { timeout: 10_000 } });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
    this.pools.clear();
  }
}

/** The relay of the request a response answers, for the one `close` listener every relayed response shares. */
const RELAY = Symbol('relay');
type RelayedResponse = ServerResponse & { [RELAY]?: ResponseRelay };

/** The client's connection closed: a `close` listener shared by all responses, so no closure is made per request. */
function onClientClose(this: RelayedResponse): void {
  this[RELAY]?.clientClosed();
}

function onIntegrationTimeout(relay: ResponseRelay): void {
  relay.timedOut();
}

/**
 * One HTTP_PROXY request, from dispatch to the end of its response. Writes the upstream's response straight into
 * the client's: status and headers (hop-by-hop and `dropHeader` ones left out, `extraHeaders` added), then each chunk
 * as it arrives, with backpressure both ways. A failure before the response started settles the outcome as failed;
 * after that only cutting the client's connection can pass it on. The integration timeout runs from dispatch, so
 * time spent waiting for a pooled connection counts; a client that leaves (before, during or after its body) takes
 * its upstream request with it at once, even while that request still waits for one of the pool's connections.
 */
class ResponseRelay implements Dispatcher.DispatchHandler {
  private status = 0;
  private length = 0;
  private finished = false;
  private abort?: (err?: Error) => void;
  /** Why the request was cancelled before undici handed it a connection; it is aborted as soon as it gets one. */
  private cancelled?: Error;
  private resume?: () => void;
  private timer?: NodeJS.Timeout;
  private settle?: (outcome: ProxyOutcome) => void;
  /** The client's body on its way upstream, counted. */
  private body?: Transform;
  private received = 0;

  constructor(
    private readonly res: RelayedResponse,
    private readonly extraHeaders: string[],
    private readonly dropHeader: (name: string) => boolean,
    readonly timeout: number,
  ) {}

  /** The client's body as a stream that fails once it exceeds MAX_PAYLOAD. */
  streamBody(req: IncomingMessage): Transform {
    const body = req.pipe(
      new Transform({
        transform: (chunk: Buffer, _enc, done) => {
          this.received += chunk.length;
          done(this.received > MAX_PAYLOAD ? new PayloadTooLarge() : null, chunk);
        },
      }),
    );
    // Destroyed when the client leaves; undici listens only once the request has a connection.
    body.on('error', () => undefined);
    this.body = body;
    return body;
  }

  /** Dispatches the request; settles once the response is relayed or the request failed. */
  run(pool: Pool, options: Dispatcher.DispatchOptions): Promise<ProxyOutcome> {
    return new Promise((resolve) => {
      this.settle = resolve;
      this.res[RELAY] = this;
      this.res.on('close', onClientClose);
      this.timer = setTimeout(onIntegrationTimeout, this.timeout, this);
      pool.dispatch(options, this);
    });
  }

  /** Settles the outcome; `finished` is set by then, so the `close` listener, left in place, does nothing more. */
  private done(outcome: ProxyOutcome): void {
    clearTimeout(this.timer);
    this.settle!(outcome);
  }

  clientClosed(): void {
    if (this.finished || this.res.writableFinished) return;
    this.body?.destroy(new ClientGone());
    this.cancel(new ClientGone());
  }

  timedOut(): void {
    this.body?.destroy(new IntegrationTimeout());
    this.cancel(new IntegrationTimeout());
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.cancelled) abort(this.cancelled);
  }

  /**
   * Gives up on the upstream request: before its response started, it fails at once (not when undici gets round
   * to it); a response already being relayed is cut.
   */
  private cancel(err: Error): void {
    if (this.finished) return;
    if (this.status !== 0) return void this.clientGone();
    this.finished = true;
    this.cancelled = err;
    this.abort?.(err);
    this.failed(err);
  }

  private failed(err: Error): void {
    if (this.received > MAX_PAYLOAD)
      return this.done({ kind: 'failed', error: 'tooLarge', message: 'Request body exceeds 10485760 bytes' });
    const timedOut = err instanceof IntegrationTimeout || err instanceof undiciErrors.HeadersTimeoutError;
    const reason =
      err instanceof ClientGone
        ? 'The client closed the connection before the response'
        : timedOut
          ? `Integration timeout after ${this.timeout} ms`
          : `Integration unreachable: ${err.message}`;
    this.done({ kind: 'failed', error: 'unavailable', message: reason });
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // an informational response (103) is not passed on
    if (this.finished) return false;
    if (this.res.destroyed) {
      this.abort?.(new ClientGone());
      return false;
    }
    const out: string[] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i].toString('latin1');
      const lower = name.toLowerCase();
      if (!HOP_BY_HOP.has(lower) && !this.dropHeader(lower)) out.push(name, rawHeaders[i + 1].toString('latin1'));
    }
    for (const h of this.extraHeaders) out.push(h);
    this.status = statusCode;
    this.res.writeHead(statusCode, out);
    this.resume = resume;
    // Until the response ends, the client's `close` (listened to since dispatch) cuts the upstream's.
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.length += chunk.length;
    if (this.res.write(chunk)) return true;
    if (this.res.destroyed) return this.clientGone();
    // The client is slower than the upstream: pause the upstream until the client's buffer drains.
    this.res.once('drain', this.resume!);
    return false;
  }

  private clientGone(): false {
    if (!this.finished) this.abort?.(new ClientGone());
    return false;
  }

  onComplete(): void {
    this.finished = true;
    this.res.end();
    this.done({ kind: 'sent', status: this.status, length: this.length });
  }

  onError(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    if (this.status === 0) return this.failed(err);
    this.res.destroy();
    this.done({ kind: 'sent', status: this.status, length: this.length });
  }
}

function isBareHost(url: URL, written: string): boolean {
  return url.pathname === '/' && !/^[a-z]+:\/\/[^/]+\//i.test(written);
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
