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

/** Where an invocation goes once there is one: the runtime's open `invocation/next` request. */
export interface InvocationWaiter {
  /** Answers the open `invocation/next`; a later call, or one after the runtime went away, does nothing. */
  deliver(invocation: NextInvocation): void;
}

/** What the environment behind one Runtime API listener does with the runtime's requests. */
export interface RuntimeApiHandler {
  /** The runtime asks for its next invocation; `waiter.deliver` may be called now or later (long poll), once. */
  next(waiter: InvocationWaiter): void;
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
      new Connection(socket, handler);
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
const INVOCATION = 'invocation/';
/** The answer to every accepted response, error and init error. */
const ACCEPTED = 'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n';
const ACCEPTED_BODY = '{"status":"OK"}';
const NEXT_HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: ';

/**
 * One runtime's connection: requests one at a time (a long-polled `next` holds the connection until answered). The
 * connection is the waiter of its open `next`. Only the headers the Runtime API reads are looked up, in the
 * lower-cased head.
 */
class Connection implements InvocationWaiter {
  private buffer: Buffer = Buffer.alloc(0);
  /** Chunks of a body still incomplete, joined once it is whole: joining each chunk would copy a large body over and over. */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** How many bytes `buffer` must hold before its request is complete (0: not known). */
  private needed = 0;
  private busy = false;
  private continued = false;
  /** Answers not written yet (see `receive`). */
  private output = '';
  private parsing = false;
  /** The request being answered is `HTTP/1.1` without `Connection: close` (or 1.0 with keep-alive). */
  private keepAlive = true;
  /** An `invocation/next` waits for its invocation. */
  private waiting = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: RuntimeApiHandler,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
  }

  deliver(invocation: NextInvocation): void {
    if (!this.waiting) return;
    this.waiting = false;
    let head =
      NEXT_HEAD +
      `${invocation.requestId}\r\nLambda-Runtime-Deadline-Ms: ${invocation.deadlineMs}\r\n` +
      `Lambda-Runtime-Invoked-Function-Arn: ${invocation.functionArn}\r\n` +
      `Lambda-Runtime-Trace-Id: ${invocation.traceId}\r\n`;
    if (invocation.clientContext !== undefined)
      head += `Lambda-Runtime-Client-Context: ${oneLine(invocation.clientContext)}\r\n`;
    if (invocation.cognitoIdentity !== undefined)
      head += `Lambda-Runtime-Cognito-Identity: ${oneLine(invocation.cognitoIdentity)}\r\n`;
    this.answer(`${head}Content-Length: ${Buffer.byteLength(invocation.body)}\r\n`, invocation.body);
  }

  private receive(chunk: Buffer): void {
    if (this.buffer.length + this.pendingLength + chunk.length < this.needed) {
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      return;
    }
    this.buffer =
      this.buffer.length === 0 && this.pending.length === 0
        ? chunk
        : Buffer.concat([this.buffer, ...this.pending, chunk]);
    this.pending = [];
    this.pendingLength = 0;
    this.needed = 0;
    // Pipelined requests (a result and the next `next`) are answered in one write: answers are held while a
    // request that came with them is still open, which only a long-polled `next` is; its answer writes them all.
    this.parsing = true;
    this.parse();
    this.parsing = false;
    if (!this.busy) this.flush();
  }

  private parse(): void {
    while (!this.busy && !this.socket.destroyed) {
      const buffer = this.buffer;
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) {
        if (buffer.length > MAX_HEAD_BYTES) this.fail(431, 'Request header fields too large');
        return;
      }
      const head = buffer.toString('latin1', 0, end);
      const lower = head.toLowerCase();
      const bodyStart = end + 4;
      let body: Buffer | undefined;
      let next = 0;
      if (headerValue(head, lower, 'transfer-encoding')?.toLowerCase().includes('chunked')) {
        const decoded = dechunk(buffer, bodyStart);
        if (decoded === 'bad') return this.fail(400, 'Malformed chunked body');
        if (decoded) [body, next] = decoded;
      } else {
        const length = Number(headerValue(head, lower, 'content-length') ?? '0');
        if (!Number.isSafeInteger(length) || length < 0) return this.fail(400, 'Invalid Content-Length');
        if (length > MAX_BODY_BYTES) return this.fail(413, `Payload exceeds ${MAX_BODY_BYTES} bytes`);
        if (buffer.length >= bodyStart + length) {
          body = buffer.subarray(bodyStart, bodyStart + length);
          next = bodyStart + length;
        } else this.needed = bodyStart + length;
      }
      if (!body) {
        if (buffer.length - bodyStart > MAX_BODY_BYTES + MAX_HEAD_BYTES)
          return this.fail(413, `Payload exceeds ${MAX_BODY_BYTES} bytes`);
        if (!this.continued && headerValue(head, lower, 'expect')?.toLowerCase().includes('100-continue')) {
          this.continued = true;
          this.output += 'HTTP/1.1 100 Continue\r\n\r\n';
        }
        return;
      }
      this.buffer = buffer.subarray(next);
      this.continued = false;
      this.busy = true;
      const lineEnd = head.indexOf('\r\n');
      const requestLine = lineEnd === -1 ? head : head.slice(0, lineEnd);
      const [method = '', target = '', version = ''] = requestLine.split(' ');
      const connection = headerValue(head, lower, 'connection')?.toLowerCase() ?? '';
      this.keepAlive = version === 'HTTP/1.1' ? connection !== 'close' : connection === 'keep-alive';
      this.serve(method, target, head, lower, body);
    }
  }

  private serve(method: string, target: string, head: string, lower: string, body: Buffer): void {
    if (!target.startsWith(PREFIX)) return this.reply(404, errorBody('InvalidRequest', 'Unknown Runtime API path'));
    const route = target.slice(PREFIX.length);
    if (route === 'invocation/next') {
      if (method !== 'GET') return this.reply(405, errorBody('InvalidRequest', 'Method not allowed'));
      this.waiting = true;
      return this.handler.next(this);
    }
    if (method !== 'POST') return this.reply(405, errorBody('InvalidRequest', 'Method not allowed'));
    const errorType = headerValue(head, lower, 'lambda-runtime-function-error-type');
    if (route === 'init/error') {
      this.handler.initError(body.toString('utf8'), errorType);
      return this.answer(ACCEPTED, ACCEPTED_BODY);
    }
    const outcome = route.endsWith('/response') ? 'response' : route.endsWith('/error') ? 'error' : undefined;
    const encodedId = outcome && route.slice(INVOCATION.length, route.length - outcome.length - 1);
    if (!encodedId || !route.startsWith(INVOCATION) || encodedId.includes('/'))
      return this.reply(404, errorBody('InvalidRequest', 'Unknown Runtime API path'));
    let requestId: string;
    try {
      requestId = encodedId.includes('%') ? decodeURIComponent(encodedId) : encodedId;
    } catch {
      return this.reply(400, errorBody('InvalidRequestID', `Invalid request ID: ${encodedId}`));
    }
    const text = body.toString('utf8');
    const accepted =
      outcome === 'response' ? this.handler.response(requestId, text) : this.handler.error(requestId, text, errorType);
    if (!accepted) return this.reply(400, errorBody('InvalidRequestID', `Invalid request ID: ${requestId}`));
    this.answer(ACCEPTED, ACCEPTED_BODY);
  }

  private reply(status: number, text: string): void {
    this.answer(
      `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\n`,
      text,
    );
  }

  /** Writes the answer to the open request (`head` without the empty line) and goes on with the next one. */
  private answer(head: string, body: string): void {
    if (this.socket.destroyed) return;
    this.output += `${head}${this.keepAlive ? '' : 'Connection: close\r\n'}\r\n${body}`;
    this.busy = false;
    if (!this.keepAlive) {
      this.socket.end(this.output);
      this.output = '';
      return;
    }
    if (!this.parsing) this.flush();
    if (!this.parsing && this.buffer.length > 0) this.parse();
  }

  private flush(): void {
    if (this.output.length === 0) return;
    this.socket.write(this.output);
    this.output = '';
  }

  private fail(status: number, message: string): void {
    this.flush();
    this.socket.end(
      `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${errorBody('InvalidRequest', message)}`,
    );
    this.buffer = Buffer.alloc(0);
    this.busy = true;
  }
}

/** The value of header `name` (lower case) in a request head and its lower-cased copy; undefined when absent. */
function headerValue(head: string, lower: string, name: string): string | undefined {
  let at = lower.indexOf(`\r\n${name}:`);
  if (at === -1) return undefined;
  at += name.length + 3;
  const end = lower.indexOf('\r\n', at);
  return head.slice(at, end === -1 ? head.length : end).trim();
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
