import type { ServerResponse } from 'node:http';
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
/** Request headers the gateway sets itself; a client's own are replaced. */
const GATEWAY_SET = new Set(['forwarded', 'x-amzn-trace-id']);
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
      if (!HOP_BY_HOP.has(lower) && !GATEWAY_SET.has(lower)) headers.push(raw[i], raw[i + 1]);
    }
    headers.push(
      'host',
      target.origin.slice(target.origin.indexOf('//') + 2),
      'forwarded',
      `by=${req.socket.localAddress ?? '127.0.0.1'};for=${g.sourceIp};host=${req.headers.host ?? g.domainName};proto=http`,
      'x-amzn-trace-id',
      g.traceId,
    );

    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    let received = 0;
    const stream =
      !g.body && hasBody
        ? req.pipe(
            new Transform({
              transform(chunk: Buffer, _enc, done) {
                received += chunk.length;
                done(received > MAX_PAYLOAD ? new PayloadTooLarge() : null, chunk);
              },
            }),
          )
        : undefined;
    // Destroyed when the client leaves; undici listens only once the request has a connection.
    stream?.on('error', () => undefined);
    // A body an authorizer already read (to check its signature) is sent as it is.
    const body = g.body ?? stream ?? null;
    const method =
      integration.integrationMethod === 'ANY' || !integration.integrationMethod
        ? g.method
        : integration.integrationMethod;
    const timeout = integration.timeoutInMillis;
    return new Promise((resolve) => {
      const done = (outcome: ProxyOutcome) => {
        clearTimeout(timer);
        res.off('close', onClientClose);
        resolve(outcome);
      };
      const relay = new ResponseRelay(
        res,
        extraHeaders,
        dropHeader,
        (err) => {
          if (received > MAX_PAYLOAD)
            return done({ kind: 'failed', error: 'tooLarge', message: 'Request body exceeds 10485760 bytes' });
          const timedOut = err instanceof IntegrationTimeout || err instanceof undiciErrors.HeadersTimeoutError;
          const reason =
            err instanceof ClientGone
              ? 'The client closed the connection before the response'
              : timedOut
                ? `Integration timeout after ${timeout} ms`
                : `Integration unreachable: ${err.message}`;
          done({ kind: 'failed', error: 'unavailable', message: reason });
        },
        done,
      );
      // A client that leaves (before, during or after its body) takes its upstream request with it at once, even
      // while that request still waits for one of the pool's connections.
      const onClientClose = () => {
        if (res.writableFinished) return;
        stream?.destroy(new ClientGone());
        relay.cancel(new ClientGone());
      };
      res.once('close', onClientClose);
      // The integration timeout runs from here, so time spent waiting for a pooled connection counts.
      const timer = setTimeout(() => {
        stream?.destroy(new IntegrationTimeout());
        relay.cancel(new IntegrationTimeout());
      }, timeout);
      this.pool(target.origin).dispatch(
        {
          path: target.path,
          method: method,
          headers,
          body,
          headersTimeout: timeout,
          bodyTimeout: 0,
        },
        relay,
      );
    });
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

/**
 * Writes the upstream's response straight into the client's: status and headers (hop-by-hop and `dropHeader` ones
 * left out, `extraHeaders` added), then each chunk as it arrives, with backpressure both ways. A failure before the
 * response started goes to `failed`; after that only cutting the client's connection can pass it on.
 */
class ResponseRelay implements Dispatcher.DispatchHandler {
  private status = 0;
  private length = 0;
  private finished = false;
  private abort?: (err?: Error) => void;
  /** Why the request was cancelled before undici handed it a connection; it is aborted as soon as it gets one. */
  private cancelled?: Error;
  private resume?: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly extraHeaders: string[],
    private readonly dropHeader: (name: string) => boolean,
    private readonly failed: (err: Error) => void,
    private readonly sent: (outcome: ProxyOutcome) => void,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.cancelled) abort(this.cancelled);
  }

  /**
   * Gives up on the upstream request: before its response started, `failed` is told at once (not when undici
   * gets round to it); a response already being relayed is cut.
   */
  cancel(err: Error): void {
    if (this.finished) return;
    if (this.status !== 0) return void this.clientGone();
    this.finished = true;
    this.cancelled = err;
    this.abort?.(err);
    this.failed(err);
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
    // Most responses end within this parse of the upstream's bytes; one still running then learns from 'close' that
    // the client went away.
    queueMicrotask(() => {
      if (!this.finished) this.res.once('close', () => this.clientGone());
    });
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
    this.sent({ kind: 'sent', status: this.status, length: this.length });
  }

  onError(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    if (this.status === 0) return this.failed(err);
    this.res.destroy();
    this.sent({ kind: 'sent', status: this.status, length: this.length });
  }
}

function isBareHost(url: URL, written: string): boolean {
  return url.pathname === '/' && !/^[a-z]+:\/\/[^/]+\//i.test(written);
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
