import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../config/logger.ts';
import type { EdgeCredentials } from '../state/credentials.ts';
import { AwsError } from '../protocols/aws-error.ts';
import { declaresBody, watchBodyIdle } from './body-idle.ts';
import { parseSigV4, readSigV4Scope, verifySigV4 } from './sigv4.ts';
import { readSigV2, verifySigV2 } from './sigv2.ts';
import { readBody } from '../protocols/body.ts';
import { UnservedService } from './unserved.ts';
import type { EdgeEndpoint, EdgeRequest, EdgeService, InternalHandler, SigningPolicy, VerifiedAuth } from './types.ts';

const MAX_BUFFERED_BODY = 64 * 1024 * 1024;

export interface EdgeOptions {
  host: string;
  port: number;
  credentials: EdgeCredentials;
  logger: Logger;
  /** Overrides the URL clients are told to use (DDN_PUBLIC_URL). */
  publicUrl?: string;
  /** The region signatures must be scoped to (AWS_REGION); any when absent. */
  region?: string;
  /** A request body silent this long is answered (`sendBodyTimeout`) or cut; default 20 s. */
  bodyIdleTimeoutMs?: number;
}

type SignedVia = 'header' | 'query' | 'sigv2';

/** Every service but S3: the signature covers the SHA-256 of the (buffered) body, presigned or not. */
const BODY_HASH_SIGNING: SigningPolicy = {
  payloadHash: (request) => sha256Hex(request.body ?? Buffer.alloc(0)),
  s3CanonicalPath: false,
};

/**
 * The one listener. A service that `claims` a request by host or path gets it first (the API data plane), then
 * requests go by their SigV4 credential scope (header or presigned query); a scope naming a service the edge does
 * not serve is answered 501 NotImplemented in that service's protocol. An unsigned request goes to a service that
 * `takesUnsigned` it; SigV2, CORS preflights and the remaining anonymous requests to the one that `takesUnscoped`
 * (S3). The `/_ddn/` routes come before all of these.
 */
export class Edge implements EdgeEndpoint {
  readonly services = new Map<string, EdgeService>();
  private readonly unserved = new Map<string, UnservedService>();
  private unscoped?: EdgeService;
  /** Services that take requests by host or path (`claims`), asked in registration order. */
  private readonly claiming: EdgeService[] = [];
  /** Services that take some unsigned requests (`takesUnsigned`). */
  private readonly unsignedTakers: EdgeService[] = [];
  private readonly components = new Map<string, { ready: boolean; detail?: unknown }>();
  private readonly internalRoutes: Array<{ prefix: string; handler: InternalHandler }> = [];
  private readonly server: http.Server;
  private address?: AddressInfo;

  constructor(readonly options: EdgeOptions) {
    this.server = http.createServer(
      { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 },
      (req, res) => {
        try {
          this.dispatch(req, res);
        } catch (err) {
          this.fail(res, err);
        }
      },
    );
    this.route('/_ddn/health', (req, res) => this.health(req, res));
  }

  get credentials(): EdgeCredentials {
    return this.options.credentials;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    if (!this.address) throw new Error('edge is not listening');
    return this.address.port;
  }

  get url(): string {
    const host = this.options.host === '0.0.0.0' || this.options.host === '::' ? '127.0.0.1' : this.options.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /** The URL clients use to reach the edge: presigned URLs, `apiEndpoint`, the console. */
  get publicUrl(): string {
    return this.options.publicUrl ?? this.url;
  }

  register(service: EdgeService): void {
    if (this.services.has(service.name)) throw new Error(`service ${service.name} is registered twice`);
    if (service.takesUnscoped && this.unscoped) {
      throw new Error(`${this.unscoped.name} already takes unscoped requests`);
    }
    this.services.set(service.name, service);
    if (service.takesUnscoped) this.unscoped = service;
    if (service.claims) this.claiming.push(service);
    if (service.takesUnsigned) this.unsignedTakers.push(service);
    for (const route of service.internalRoutes ?? []) this.route(route.prefix, route.handler);
  }

  /** Serves `/_ddn/...` paths (console, health). Longest prefix wins. */
  route(prefix: string, handler: InternalHandler): void {
    this.internalRoutes.push({ prefix, handler });
    this.internalRoutes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** Health reports 503 until every component that was `expect`ed is marked ready. */
  expect(component: string): void {
    if (!this.components.has(component)) this.components.set(component, { ready: false });
  }

  markReady(component: string, detail?: unknown): void {
    this.components.set(component, { ready: true, detail });
  }

  markNotReady(component: string, detail?: unknown): void {
    this.components.set(component, { ready: false, detail });
  }

  isReady(): boolean {
    return [...this.components.values()].every((c) => c.ready);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.address = this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => this.server.closeAllConnections(), 2000).unref();
    });
    for (const service of this.services.values()) await service.close?.();
  }

  private health(_req: IncomingMessage, res: ServerResponse): void {
    const services = Object.fromEntries(
      [...this.components].map(([name, c]) => [
        name,
        c.detail === undefined ? { ready: c.ready } : { ready: c.ready, ...asObject(c.detail) },
      ]),
    );
    const body = JSON.stringify({ status: this.isReady() ? 'ready' : 'starting', services });
    res.writeHead(this.isReady() ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(body);
  }

  /** Chooses the service; what it does next is awaited (and its failures caught) by `serve`. */
  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const rawPath = q === -1 ? target : target.slice(0, q);
    const rawQuery = q === -1 ? '' : target.slice(q + 1);
    const host = (req.headers.host ?? '').toLowerCase();

    if (rawPath.startsWith('/_ddn/')) {
      const route = this.internalRoutes.find(
        (r) => rawPath === r.prefix || rawPath.startsWith(r.prefix.endsWith('/') ? r.prefix : `${r.prefix}/`),
      );
      if (route) return void this.serveInternal(route.handler, req, res, rawPath);
    }

    const request = new ReceivedRequest(req, res, rawPath, rawQuery, host);

    const claiming = this.claiming;
    for (let i = 0; i < claiming.length; i++) {
      if (claiming[i].claims!(host, rawPath)) return void this.serve(claiming[i], request, false);
    }

    // A browser preflight carries no credentials even when sent to a presigned URL (whose query has
    // X-Amz-Credential): S3 answers it from the bucket's CORS rules, unauthenticated.
    if (
      request.method === 'OPTIONS' &&
      req.headers.origin !== undefined &&
      req.headers['access-control-request-method'] !== undefined
    ) {
      return void this.serve(this.unscoped, request, false);
    }
    const sigv4 = readSigV4Scope(req.headers, request.query);
    if (sigv4) return void this.serve(this.serviceNamed(sigv4.service), request, true, sigv4.via);
    if (readSigV2(req.headers, request.query)) return void this.serve(this.unscoped, request, true, 'sigv2');
    const taker = this.unsignedTakers.find((s) => s.takesUnsigned!(host, rawPath, req.headers));
    return void this.serve(taker ?? this.unscoped, request, false);
  }

  private async serveInternal(
    handler: InternalHandler,
    req: IncomingMessage,
    res: ServerResponse,
    rawPath: string,
  ): Promise<void> {
    try {
      await handler(req, res, rawPath);
    } catch (err) {
      this.fail(res, err);
    }
  }

  /** The service a credential scope names; one the edge does not serve answers NotImplemented in its protocol. */
  private serviceNamed(name: string): EdgeService {
    const service = this.services.get(name);
    if (service) return service;
    let unserved = this.unserved.get(name);
    if (!unserved) {
      unserved = new UnservedService(name);
      // Scope names come from clients: only botocore's names are kept, so the map stays small.
      if (unserved.known) this.unserved.set(name, unserved);
    }
    return unserved;
  }

  /** Serves the request with `service`; every failure ends here (an AwsError in the service's format). */
  private async serve(
    service: EdgeService | undefined,
    request: EdgeRequest,
    signed: boolean,
    via?: SignedVia,
  ): Promise<void> {
    try {
      if (!service) {
        request.res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-requestid': request.requestId });
        request.res.end(JSON.stringify({ message: 'Not Found' }));
        return;
      }
      if (declaresBody(request.req)) {
        watchBodyIdle(request.req, this.options.bodyIdleTimeoutMs ?? 20_000, () => this.bodyIdle(service, request));
      }
      try {
        if (service.bufferBody) request.body = await readBody(request.req, service.maxBodyBytes ?? MAX_BUFFERED_BODY);
        if (signed) request.auth = await this.verify(service, request, via!);
        await service.handle(request);
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        if (request.res.headersSent) return void request.res.destroy(err);
        service.sendError(request, err);
      }
    } catch (err) {
      this.fail(request.res, err);
    }
  }

  private bodyIdle(service: EdgeService, request: EdgeRequest): void {
    const { req, res } = request;
    this.logger.info(
      { service: service.name, method: request.method, path: request.rawPath },
      'request body idle: closing the connection',
    );
    if (res.headersSent || !service.sendBodyTimeout) return void req.socket.destroy();
    service.sendBodyTimeout(request);
    res.once('finish', () => req.socket.destroySoon());
  }

  private async verify(service: EdgeService, request: EdgeRequest, via: SignedVia): Promise<VerifiedAuth> {
    const signed = {
      method: request.method,
      rawPath: request.rawPath,
      query: request.query,
      rawHeaders: request.req.rawHeaders,
    };
    const policy = service.signing ?? BODY_HASH_SIGNING;
    if (via === 'sigv2') return verifySigV2(signed, this.credentials, policy.sigV2Bucket?.(request));
    const params = parseSigV4(signed, via);
    const payloadHash = policy.payloadHash(request, via);
    return verifySigV4(signed, params, {
      credentials: this.credentials,
      payloadHash,
      s3Path: policy.s3CanonicalPath,
      region: this.options.region,
    });
  }

  private fail(res: ServerResponse, err: unknown): void {
    this.logger.error({ err }, 'unhandled error while serving a request');
    if (res.headersSent) return void res.destroy();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Internal Server Error' }));
  }
}

/** An EdgeRequest whose parsed query and request id are made on first use: the API data plane needs neither. */
class ReceivedRequest implements EdgeRequest {
  readonly method: string;
  readonly startedAt = Date.now();
  auth?: VerifiedAuth;
  body?: Buffer;
  private parsedQuery?: URLSearchParams;
  private id?: string;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly rawPath: string,
    readonly rawQuery: string,
    readonly host: string,
  ) {
    this.method = req.method ?? 'GET';
  }

  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.rawQuery));
  }

  get requestId(): string {
    return (this.id ??= randomUUID());
  }
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function asObject(detail: unknown): Record<string, unknown> {
  return detail !== null && typeof detail === 'object' ? (detail as Record<string, unknown>) : { detail };
}
