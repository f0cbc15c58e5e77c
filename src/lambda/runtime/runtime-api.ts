import http from 'node:http';
import type { AddressInfo } from 'node:net';

const PREFIX = '/2018-06-01/runtime/';
/** Lambda's limit on a synchronous response; a larger one is refused with 413 as the Runtime API does. */
const MAX_BODY_BYTES = 6 * 1024 * 1024 + 1024;

/** An invocation as the Runtime API hands it to the runtime on `invocation/next`. */
export interface NextInvocation {
  requestId: string;
  /** The event, JSON text. */
  body: string;
  deadlineMs: number;
  functionArn: string;
  traceId: string;
  clientContext?: string;
  cognitoIdentity?: string;
}

/** What the environment behind one Runtime API listener does with the runtime's requests. */
export interface RuntimeApiHandler {
  /** The runtime asks for its next invocation; `deliver` may be called now or later (long poll), once. */
  next(deliver: (invocation: NextInvocation) => void): void;
  /** `invocation/{id}/response`; false when `requestId` is not the invocation running now. */
  response(requestId: string, payload: string): boolean;
  /** `invocation/{id}/error`; false when `requestId` is not the invocation running now. */
  error(requestId: string, payload: string, errorType: string | undefined): boolean;
  /** `init/error`: the runtime could not initialise. */
  initError(payload: string, errorType: string | undefined): void;
}

/**
 * The Lambda Runtime API (2018-06-01) for one execution environment, on its own loopback listener: the address is
 * handed to that environment only (AWS_LAMBDA_RUNTIME_API), and nothing of the edge's own API is served here.
 */
export class RuntimeApiServer {
  private readonly server: http.Server;

  constructor(private readonly handler: RuntimeApiHandler) {
    this.server = http.createServer({ keepAliveTimeout: 0, requestTimeout: 0 }, (req, res) => this.serve(req, res));
    this.server.headersTimeout = 0;
  }

  /** Starts listening on 127.0.0.1 and an ephemeral port; resolves to `host:port` (AWS_LAMBDA_RUNTIME_API). */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX)) return reply(res, 404, errorBody('InvalidRequest', 'Unknown Runtime API path'));
    const route = url.slice(PREFIX.length);
    if (route === 'invocation/next') {
      if (req.method !== 'GET') return reply(res, 405, errorBody('InvalidRequest', 'Method not allowed'));
      req.resume();
      let delivered = false;
      return this.handler.next((invocation) => {
        if (delivered || res.destroyed) return;
        delivered = true;
        const headers: Record<string, string | number> = {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(invocation.body),
          'lambda-runtime-aws-request-id': invocation.requestId,
          'lambda-runtime-deadline-ms': String(invocation.deadlineMs),
          'lambda-runtime-invoked-function-arn': invocation.functionArn,
          'lambda-runtime-trace-id': invocation.traceId,
        };
        if (invocation.clientContext !== undefined) headers['lambda-runtime-client-context'] = invocation.clientContext;
        if (invocation.cognitoIdentity !== undefined) headers['lambda-runtime-cognito-identity'] = invocation.cognitoIdentity;
        res.writeHead(200, headers);
        res.end(invocation.body);
      });
    }
    if (req.method !== 'POST') return reply(res, 405, errorBody('InvalidRequest', 'Method not allowed'));
    const m = /^invocation\/([^/]+)\/(response|error)$/.exec(route);
    if (!m && route !== 'init/error') return reply(res, 404, errorBody('InvalidRequest', 'Unknown Runtime API path'));
    const errorType = header(req, 'lambda-runtime-function-error-type');
    readBody(req, (body) => {
      if (body === undefined) {
        return reply(res, 413, errorBody('RequestEntityTooLarge', `Payload exceeds ${MAX_BODY_BYTES} bytes`));
      }
      if (!m) {
        this.handler.initError(body, errorType);
        return reply(res, 202, '{"status":"OK"}');
      }
      const requestId = decodeURIComponent(m[1]!);
      const accepted = m[2] === 'response' ? this.handler.response(requestId, body) : this.handler.error(requestId, body, errorType);
      if (!accepted) return reply(res, 400, errorBody('InvalidRequestID', `Invalid request ID: ${requestId}`));
      reply(res, 202, '{"status":"OK"}');
    });
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Reads a request body as UTF-8 text; `undefined` when it is over the limit. */
function readBody(req: http.IncomingMessage, done: (body: string | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) over = true;
    else chunks.push(chunk);
  });
  req.on('end', () => done(over ? undefined : Buffer.concat(chunks).toString('utf8')));
}

function errorBody(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorMessage, errorType });
}

function reply(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
