import net, { type AddressInfo } from 'node:net';

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

type Reply = (status: number, body: string, headers?: string) => void;

/**
 * The Lambda Runtime API (2018-06-01) for one execution environment, on its own loopback listener: the address is
 * handed to that environment only (AWS_LAMBDA_RUNTIME_API), and nothing of the edge's own API is served here.
 * HTTP/1.1 is parsed here rather than by node:http: two requests per invocation make this the hot path of every
 * invocation, and the runtimes' requests are simple (Content-Length or chunked bodies, `Expect: 100-continue`).
 */
export class RuntimeApiServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly handler: RuntimeApiHandler) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      new Connection(socket, (method, target, headers, body, reply) =>
        this.serve(method, target, headers, body, reply),
      );
    });
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
    for (const socket of this.sockets) socket.destroy();
  }

  private serve(method: string, target: string, headers: Map<string, string>, body: Buffer, reply: Reply): void {
    if (!target.startsWith(PREFIX)) return reply(404, errorBody('InvalidRequest', 'Unknown Runtime API path'));
    const route = target.slice(PREFIX.length);
    if (route === 'invocation/next') {
      if (method !== 'GET') return reply(405, errorBody('InvalidRequest', 'Method not allowed'));
      let delivered = false;
      return this.handler.next((invocation) => {
        if (delivered) return;
        delivered = true;
        let extra =
          `Lambda-Runtime-Aws-Request-Id: ${invocation.requestId}\r\nLambda-Runtime-Deadline-Ms: ${invocation.deadlineMs}\r\n` +
          `Lambda-Runtime-Invoked-Function-Arn: ${invocation.functionArn}\r\nLambda-Runtime-Trace-Id: ${invocation.traceId}\r\n`;
        if (invocation.clientContext !== undefined)
          extra += `Lambda-Runtime-Client-Context: ${oneLine(invocation.clientContext)}\r\n`;
        if (invocation.cognitoIdentity !== undefined)
          extra += `Lambda-Runtime-Cognito-Identity: ${oneLine(invocation.cognitoIdentity)}\r\n`;
        reply(200, invocation.body, extra);
      });
    }
    if (method !== 'POST') return reply(405, errorBody('InvalidRequest', 'Method not allowed'));
    const m = /^invocation\/([^/]+)\/(response|error)$/.exec(route);
    if (!m && route !== 'init/error') return reply(404, errorBody('InvalidRequest', 'Unknown Runtime API path'));
    const errorType = headers.get('lambda-runtime-function-error-type');
    const text = body.toString('utf8');
    if (!m) {
      this.handler.initError(text, errorType);
      return reply(202, '{"status":"OK"}');
    }
    let requestId: string;
    try {
      requestId = decodeURIComponent(m[1]);
    } catch {
      return reply(400, errorBody('InvalidRequestID', `Invalid request ID: ${m[1]}`));
    }
    const accepted =
      m[2] === 'response' ? this.handler.response(requestId, text) : this.handler.error(requestId, text, errorType);
    if (!accepted) return reply(400, errorBody('InvalidRequestID', `Invalid request ID: ${requestId}`));
    reply(202, '{"status":"OK"}');
  }
}

const REASONS: Record<number, string> = {
  100: 'Continue',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};
const MAX_HEAD_BYTES = 64 * 1024;

type Dispatch = (method: string, target: string, headers: Map<string, string>, body: Buffer, reply: Reply) => void;

/** One runtime's connection: requests one at a time (a long-polled `next` holds the connection until answered). */
class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private busy = false;
  private continued = false;
  private corked = false;
  private parsing = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly dispatch: Dispatch,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      // Pipelined requests (a result and the next `next`) are answered in one write: answers stay corked while a
      // request that came with them is still open, which only a long-polled `next` is; its answer uncorks them.
      if (!this.corked) socket.cork();
      this.corked = true;
      this.parsing = true;
      this.parse();
      this.parsing = false;
      if (!this.busy) this.uncork();
    });
    socket.on('error', () => socket.destroy());
  }

  private parse(): void {
    while (!this.busy && !this.socket.destroyed) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end === -1) {
        if (this.buffer.length > MAX_HEAD_BYTES) this.fail(431, 'Request header fields too large');
        return;
      }
      const lines = this.buffer.toString('latin1', 0, end).split('\r\n');
      const [method = '', target = '', version = ''] = lines[0].split(' ');
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const bodyStart = end + 4;
      let body: Buffer | undefined;
      let next = 0;
      if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
        const decoded = dechunk(this.buffer, bodyStart);
        if (decoded === 'bad') return this.fail(400, 'Malformed chunked body');
        if (decoded) [body, next] = decoded;
      } else {
        const length = Number(headers.get('content-length') ?? '0');
        if (!Number.isSafeInteger(length) || length < 0) return this.fail(400, 'Invalid Content-Length');
        if (length > MAX_BODY_BYTES) return this.fail(413, `Payload exceeds ${MAX_BODY_BYTES} bytes`);
        if (this.buffer.length >= bodyStart + length)
          [body, next] = [this.buffer.subarray(bodyStart, bodyStart + length), bodyStart + length];
      }
      if (!body) {
        if (this.buffer.length - bodyStart > MAX_BODY_BYTES + MAX_HEAD_BYTES)
          return this.fail(413, `Payload exceeds ${MAX_BODY_BYTES} bytes`);
        if (!this.continued && /100-continue/i.test(headers.get('expect') ?? '')) {
          this.continued = true;
          this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
        }
        return;
      }
      this.buffer = this.buffer.subarray(next);
      this.continued = false;
      this.busy = true;
      const connection = (headers.get('connection') ?? '').toLowerCase();
      const keepAlive = version === 'HTTP/1.1' ? connection !== 'close' : connection === 'keep-alive';
      this.dispatch(method, target, headers, body, (status, text, extra = '') => {
        if (this.socket.destroyed) return;
        this.socket.write(
          `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
            `${keepAlive ? '' : 'Connection: close\r\n'}${extra}\r\n${text}`,
        );
        this.busy = false;
        if (!this.parsing) this.uncork();
        if (!keepAlive) return void this.socket.end();
        if (this.buffer.length > 0) this.parse();
      });
    }
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  private fail(status: number, message: string): void {
    this.socket.end(
      `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${errorBody('InvalidRequest', message)}`,
    );
    this.buffer = Buffer.alloc(0);
    this.busy = true;
  }
}

/** Decodes a chunked body that starts at `from`: the body and where the next request starts; undefined while incomplete. */
function dechunk(buffer: Buffer, from: number): [Buffer, number] | undefined | 'bad' {
  const parts: Buffer[] = [];
  let at = from;
  let total = 0;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = parseInt(buffer.toString('latin1', at, lineEnd).split(';')[0], 16);
    if (!Number.isFinite(size) || size < 0) return 'bad';
    if (size === 0) {
      // Trailers, if any, end with an empty line.
      const end =
        buffer.indexOf('\r\n', lineEnd + 2) === lineEnd + 2 ? lineEnd + 4 : buffer.indexOf('\r\n\r\n', lineEnd + 2);
      if (end === -1 || end > buffer.length) return undefined;
      return [Buffer.concat(parts), end === lineEnd + 4 ? end : end + 4];
    }
    total += size;
    if (total > MAX_BODY_BYTES) return 'bad';
    if (buffer.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** A header value on one line (client context and identity are JSON, which may hold line breaks). */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

function errorBody(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorMessage, errorType });
}
