// The floor of a Lambda route built with process isolation: node:http in, each request's event handed to one of
// COUNT pre-started child processes over the Lambda Runtime API (a loopback listener per child, HTTP/1.1 parsed by
// hand, the long-polled `invocation/next` and `invocation/{id}/response`), the result mapped back to the response:
// no gateway logic, no Lambda service. The child is process-floor-runtime.mjs; the handler comes as HANDLER_SOURCE.
// Usage: node process-floor.mjs PORT COUNT (tells its parent 'ready' over IPC once every child asked for work).
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const [port, count] = process.argv.slice(2).map(Number);
const RUNTIME = fileURLToPath(new URL('./process-floor-runtime.mjs', import.meta.url));
const INVOCATION = '/2018-06-01/runtime/invocation/';
const ACCEPTED = 'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"status":"OK"}';
let nextId = 0;

/** One child process and its Runtime API listener: invocations queue here, the child takes them one at a time. */
class Environment {
  queue = [];
  running = new Map();
  /** The socket whose `invocation/next` is waiting for an invocation. */
  waiting = undefined;
  asked = undefined;

  constructor() {
    this.asked = new Promise((resolve) => (this.firstNext = resolve));
    this.server = net.createServer((socket) => this.serve(socket));
    this.server.listen(0, '127.0.0.1', () => {
      const api = `127.0.0.1:${this.server.address().port}`;
      this.child = spawn(process.execPath, [RUNTIME], {
        env: { AWS_LAMBDA_RUNTIME_API: api, HANDLER_SOURCE: process.env.HANDLER_SOURCE },
        stdio: 'inherit',
      });
    });
  }

  get load() {
    return this.queue.length + this.running.size;
  }

  invoke(body) {
    return new Promise((resolve) => {
      this.queue.push({ id: String(nextId++), body, resolve });
      if (this.waiting && this.running.size === 0) this.deliver(this.waiting);
    });
  }

  deliver(socket) {
    this.waiting = undefined;
    const invocation = this.queue.shift();
    this.running.set(invocation.id, invocation.resolve);
    socket.write(
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: ${invocation.id}\r\n` +
        `Lambda-Runtime-Deadline-Ms: ${Date.now() + 30_000}\r\n` +
        `Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:floor\r\n` +
        `Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n` +
        `Content-Length: ${Buffer.byteLength(invocation.body)}\r\n\r\n${invocation.body}`,
    );
  }

  serve(socket) {
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      socket.cork();
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) break;
        const head = buffer.latin1Slice(0, end);
        const at = head.toLowerCase().indexOf('content-length:');
        const length = at === -1 ? 0 : parseInt(head.slice(at + 15), 10);
        if (buffer.length < end + 4 + length) break;
        const body = buffer.utf8Slice(end + 4, end + 4 + length);
        buffer = buffer.subarray(end + 4 + length);
        const target = head.slice(head.indexOf(' ') + 1, head.indexOf(' HTTP/'));
        if (target.endsWith('/next')) {
          this.firstNext();
          if (this.queue.length > 0 && this.running.size === 0) this.deliver(socket);
          else this.waiting = socket;
        } else {
          const id = target.slice(INVOCATION.length, target.lastIndexOf('/'));
          this.running.get(id)(body);
          this.running.delete(id);
          socket.write(ACCEPTED);
        }
      }
      socket.uncork();
    });
  }
}

const environments = Array.from({ length: count }, () => new Environment());

const handle = async (req, res) => {
  const headers = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i].toLowerCase()] = req.rawHeaders[i + 1];
  const now = Date.now();
  const event = JSON.stringify({
    version: '2.0',
    routeKey: 'GET /fn',
    rawPath: req.url,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'abcdefghij',
      domainName: 'abcdefghij.execute-api.localhost',
      domainPrefix: 'abcdefghij',
      http: {
        method: req.method,
        path: req.url,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: 'abcdefghijklmno=',
      routeKey: 'GET /fn',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  });
  let least = environments[0];
  for (const env of environments) if (env.load < least.load) least = env;
  const r = JSON.parse(await least.invoke(event));
  res.writeHead(r.statusCode, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
};

await Promise.all(environments.map((env) => env.asked));
http
  .createServer({ keepAliveTimeout: 65000 }, (req, res) => void handle(req, res))
  .listen(port, '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => {
  for (const env of environments) env.child.kill('SIGKILL');
  process.exit(0);
});
