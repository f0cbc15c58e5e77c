import type { ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { Pool, errors as undiciErrors } from 'undici';
import type { Integration } from './model.ts';
import type { GatewayRequest } from './request-context.ts';

/** Headers that belong to one connection and are never forwarded (RFC 9110 §7.6.1), plus `host`, which is rewritten. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'host']);
export const MAX_PAYLOAD = 10 * 1024 * 1024;

export type ProxyOutcome =
  | { kind: 'sent'; status: number; length: number }
  | { kind: 'failed'; error: 'unavailable' | 'internal' | 'tooLarge'; message: string };

class PayloadTooLarge extends Error {}

/** HTTP_PROXY integrations: one keep-alive undici pool per upstream origin; bodies stream both ways. */
export class HttpProxy {
  private readonly pools = new Map<string, Pool>();

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
    const bareHost = url.pathname === '/' && !/^[a-z]+:\/\/[^/]+\//i.test(filled);
    if (g.routeKey === '$default' || bareHost) url.pathname = url.pathname.replace(/\/$/, '') + encodePath(g.path);
    if (g.rawQuery) url.search = url.search ? `${url.search}&${g.rawQuery}` : `?${g.rawQuery}`;
    return url;
  }

  async forward(g: GatewayRequest, integration: Integration, uri: string, res: ServerResponse, extraHeaders: Record<string, string>, dropHeader: (name: string) => boolean): Promise<ProxyOutcome> {
    let url: URL;
    try {
      url = HttpProxy.targetUrl(g, uri);
    } catch {
      return { kind: 'failed', error: 'internal', message: `Invalid integration URI ${uri}` };
    }
    const req = g.req;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers.host = url.host;
    headers.forwarded = `by=${req.socket.localAddress ?? '127.0.0.1'};for=${g.sourceIp};host=${req.headers.host ?? g.domainName};proto=http`;
    headers['x-amzn-trace-id'] = g.traceId;

    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    let received = 0;
    const limited = hasBody
      ? req.pipe(
          new Transform({
            transform(chunk: Buffer, _enc, done) {
              received += chunk.length;
              done(received > MAX_PAYLOAD ? new PayloadTooLarge() : null, chunk);
            },
          }),
        )
      : null;
    const method = integration.integrationMethod === 'ANY' || !integration.integrationMethod ? g.method : integration.integrationMethod;
    const timeout = integration.timeoutInMillis;
    let upstream;
    try {
      upstream = await this.pool(url.origin).request({
        path: url.pathname + url.search,
        method: method as 'GET',
        headers,
        body: limited,
        headersTimeout: timeout,
        bodyTimeout: 0,
      });
    } catch (err) {
      if (received > MAX_PAYLOAD) return { kind: 'failed', error: 'tooLarge', message: 'Request body exceeds 10485760 bytes' };
      const timedOut = err instanceof undiciErrors.HeadersTimeoutError;
      return {
        kind: 'failed',
        error: 'unavailable',
        message: timedOut ? `Integration timeout after ${timeout} ms` : `Integration unreachable: ${(err as Error).message}`,
      };
    }

    const out: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || dropHeader(name)) continue;
      for (const v of Array.isArray(value) ? value : [value]) out.push([name, v]);
    }
    for (const [name, value] of Object.entries(extraHeaders)) out.push([name, value]);
    res.writeHead(upstream.statusCode, out.flat());
    let length = 0;
    const body = upstream.body;
    body.on('data', (chunk: Buffer) => (length += chunk.length));
    // pipe() rather than pipeline(): pipeline allocates an AbortController per call, a measurable cost per request.
    await new Promise<void>((resolve) => {
      body.pipe(res);
      body.once('end', resolve);
      body.once('error', () => {
        // An upstream reset mid-body can only be passed on by cutting the client's connection too.
        res.destroy();
        resolve();
      });
      res.once('close', () => {
        if (!body.readableEnded) body.destroy();
        resolve();
      });
    });
    return { kind: 'sent', status: upstream.statusCode, length };
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

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
