import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UpdateApiCommand, UpdateStageCommand } from '@aws-sdk/client-apigatewayv2';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { DEFAULT_ACCESS_LOG_FORMAT } from '../../src/apigw/access-log.ts';
import { AccessLogFiles } from '../../src/apigw/access-log.ts';
import { deployApi, startUpstream } from './helpers.ts';

let edge: TestEdge;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let base: string;
let prodBase: string;
const hanging = new Set<http.ServerResponse>();
let releaseStream: () => void = () => {};
/** Upstream responses of /open and /late, by request path: resolved when the gateway gives up on them. */
const upstreamClosed = new Map<string, Promise<void>>();
const lateRequests = new Map<string, (respond: () => void) => void>();
const LOG_ARN = 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/apigw/test-api';

before(async () => {
  edge = await startTestEdge();
  upstream = await startUpstream((req, res, body) => {
    if (req.url!.startsWith('/hang')) return void hanging.add(res);
    if (req.url!.startsWith('/reset')) {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      return void setImmediate(() => req.socket.destroy());
    }
    if (req.url!.startsWith('/open') || req.url!.startsWith('/late')) {
      upstreamClosed.set(req.url!, new Promise((resolve) => res.once('close', () => resolve())));
      const respond = () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first;');
      };
      if (req.url!.startsWith('/open')) return respond();
      return void lateRequests.get(req.url!)?.(respond);
    }
    if (req.url!.startsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      releaseStream = () => res.end('second');
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/json',
      'access-control-allow-origin': 'https://evil.example',
      connection: 'keep-alive',
    });
    res.end(JSON.stringify({ url: req.url, method: req.method, length: body.length }));
  });
  const closedPort = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  const deployed = await deployApi(
    edge,
    [
      { routeKey: '$default', target: upstream.url },
      { routeKey: 'ANY /api/{proxy+}', target: `${upstream.url}/base/{proxy}` },
      { routeKey: 'GET /hang', target: upstream.url, timeoutInMillis: 200 },
      { routeKey: 'GET /down', target: `http://127.0.0.1:${closedPort}` },
      { routeKey: 'GET /limited', target: upstream.url },
    ],
    {
      stageName: 'prod',
      DefaultRouteSettings: {},
      RouteSettings: { 'GET /limited': { ThrottlingBurstLimit: 2, ThrottlingRateLimit: 0 } },
      AccessLogSettings: { DestinationArn: LOG_ARN, Format: DEFAULT_ACCESS_LOG_FORMAT },
    },
  );
  await deployed.apigw.send(
    new UpdateApiCommand({
      ApiId: deployed.apiId,
      CorsConfiguration: {
        AllowOrigins: ['https://app.example'],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: ['content-type'],
        MaxAge: 600,
        ExposeHeaders: ['x-upstream'],
      },
    }),
  );
  prodBase = deployed.base;
  base = prodBase;
});

after(async () => {
  for (const res of hanging) res.destroy();
  await upstream.close();
  await edge.close();
});

function send(
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {},
) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

test('$default forwards the full path (without the stage) and query; host is rewritten, Forwarded and trace headers added, hop-by-hop dropped', async () => {
  const r = await send(`${base}/store/check%20out?a=1&a=2`, {
    method: 'POST',
    headers: { 'x-custom': 'v', connection: 'keep-alive', 'keep-alive': 'timeout=5', 'content-type': 'text/plain' },
    body: 'hello',
  });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { url: '/store/check%20out?a=1&a=2', method: 'POST', length: 5 });
  const seen = upstream.received.at(-1)!;
  assert.equal(seen.headers.host, upstream.host);
  assert.equal(seen.headers['x-custom'], 'v');
  assert.equal(seen.headers['keep-alive'], undefined);
  assert.match(seen.headers.forwarded!, /^by=127\.0\.0\.1;for=127\.0\.0\.1;host=127\.0\.0\.1:\d+;proto=http$/);
  assert.match(seen.headers['x-amzn-trace-id'] as string, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  assert.ok(r.headers['apigw-requestid']);
});

test('{proxy} in the integration URI takes the greedy path parameter', async () => {
  const r = await send(`${base}/api/x/y?z=1`, { method: 'DELETE' });
  assert.deepEqual(JSON.parse(r.body), { url: '/base/x/y?z=1', method: 'DELETE', length: 0 });
});

test('request and response bodies stream through the gateway', async () => {
  // The response's first chunk reaches the client while the upstream still holds the rest back.
  const firstChunk = await new Promise<string>((resolve, reject) => {
    http
      .get(`${base}/stream`, (res) => {
        res.setEncoding('utf8');
        let all = '';
        res.once('data', (c: string) => {
          all += c;
          resolve(c);
          res.on('data', (d: string) => (all += d));
          res.on('end', () => assert.equal(all, 'first;second'));
          releaseStream();
        });
      })
      .on('error', reject);
  });
  assert.equal(firstChunk, 'first;');

  // A 3 MB upload passes through intact.
  const big = Buffer.alloc(3 * 1024 * 1024, 7);
  const r = await send(`${base}/upload`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: big,
  });
  assert.equal(JSON.parse(r.body).length, big.length);
});

test('faults: a dead upstream and one slower than timeoutInMillis give 503 while other routes keep answering; a reset mid-body cuts the client', async () => {
  const down = await send(`${base}/down`);
  assert.equal(down.status, 503);
  assert.equal(down.body, '{"message":"Service Unavailable"}');

  const slow = send(`${base}/hang`);
  const meanwhile = await send(`${base}/other`);
  assert.equal(meanwhile.status, 200);
  const timedOut = await slow;
  assert.equal(timedOut.status, 503);
  assert.ok(timedOut.headers['apigw-requestid']);

  await assert.rejects(send(`${base}/reset`));
});

test(
  'a client that goes away mid-body, or before the response starts, ends the upstream request',
  { timeout: 20_000 },
  async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${base}/open?mid-body`, (res) => res.once('data', () => (req.destroy(), resolve())));
      req.on('error', () => undefined);
      setTimeout(() => reject(new Error('no first chunk')), 5000).unref();
    });
    await upstreamClosed.get('/open?mid-body');

    const respond = new Promise<() => void>((resolve) => lateRequests.set('/late?before', resolve));
    const req = http.get(`${base}/late?before`);
    req.on('error', () => undefined);
    const sendResponse = await respond;
    req.destroy();
    await sleep(100);
    sendResponse();
    await upstreamClosed.get('/late?before');
  },
);

test('413 above 10 MB before anything is forwarded', async () => {
  const before = upstream.received.length;
  const r = await new Promise<number>((resolve, reject) => {
    const req = http.request(
      `${base}/big`,
      { method: 'POST', headers: { 'content-length': String(11 * 1024 * 1024) } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', reject);
    req.write('x');
  });
  assert.equal(r, 413);
  assert.equal(upstream.received.length, before);
});

test('CORS: the gateway answers preflights itself and replaces the backend CORS headers', async () => {
  const pre = await send(`${base}/anything`, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST');
  assert.equal(pre.headers['access-control-allow-headers'], 'content-type');
  assert.equal(pre.headers['access-control-max-age'], '600');
  const normal = await send(`${base}/anything`, { headers: { origin: 'https://app.example' } });
  assert.equal(normal.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(normal.headers['access-control-expose-headers'], 'x-upstream');
  const other = await send(`${base}/anything`, { headers: { origin: 'https://other.example' } });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
});

test('stage throttling: a route with burst 2 and rate 0 serves two requests, then 429', async () => {
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await send(`${base}/limited`)).status);
  const last = await send(`${base}/limited`);
  assert.deepEqual(statuses, [200, 200, 429]);
  assert.equal(last.body, '{"message":"Too Many Requests"}');
  assert.equal((await send(`${base}/not-limited`)).status, 200);
});

test('stage throttling set by update-stage on a stage without limits applies from the next request', async () => {
  const api = await deployApi(edge, [{ routeKey: 'GET /limited-later', target: upstream.url }]);
  assert.equal((await send(`${api.base}/limited-later`)).status, 200);
  await api.apigw.send(
    new UpdateStageCommand({
      ApiId: api.apiId,
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingBurstLimit: 1, ThrottlingRateLimit: 0 },
    }),
  );
  const statuses = [];
  for (let i = 0; i < 2; i++) statuses.push((await send(`${api.base}/limited-later`)).status);
  assert.deepEqual(statuses, [200, 429]);
});

test('access log: one JSON line per request in the file named after the log group', async () => {
  const r = await send(`${base}/logged?x=1`);
  const file = AccessLogFiles.fileOf(edge.dataDir, LOG_ARN);
  const id = r.headers['apigw-requestid'] as string;
  let line: Record<string, string> | undefined;
  for (let i = 0; i < 200 && !line; i++) {
    if (existsSync(file)) {
      line = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string>)
        .find((l) => l.requestId === id);
    }
    if (!line) await sleep(25);
  }
  assert.ok(line, 'the request was logged');
  assert.equal(line.httpMethod, 'GET');
  assert.equal(line.routeKey, '$default');
  assert.equal(line.status, '200');
  assert.equal(line.ip, '127.0.0.1');
  assert.match(file, /logs\/apigw\/aws\/apigw\/test-api\.log$/);
});

test('access log: every $context variable of the spec renders, for a request whose backend is down', async () => {
  const closedPort = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  const logArn = 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/apigw/all-variables';
  const names = [
    'requestId',
    'extendedRequestId',
    'accountId',
    'apiId',
    'domainName',
    'domainPrefix',
    'httpMethod',
    'path',
    'protocol',
    'routeKey',
    'stage',
    'status',
    'responseLength',
    'dataProcessed',
    'requestTime',
    'requestTimeEpoch',
    'responseLatency',
    'integrationLatency',
    'integration.latency',
    'integrationStatus',
    'integration.status',
    'integration.integrationStatus',
    'integrationErrorMessage',
    'integration.error',
    'error.message',
    'error.messageString',
    'identity.sourceIp',
    'identity.userAgent',
    'noSuchVariable',
  ];
  const format = `{ ${names.map((n, i) => `"${n}":"${i % 2 ? `\${context.${n}}` : `$context.${n}`}"`).join(', ')} }`;
  const { apiId, base: v1 } = await deployApi(
    edge,
    [{ routeKey: 'GET /down', target: `http://127.0.0.1:${closedPort}` }],
    {
      stageName: 'v1',
      AccessLogSettings: { DestinationArn: logArn, Format: format },
    },
  );
  const r = await send(`${v1}/down?q=1`, { headers: { 'user-agent': 'log-test/1.0' } });
  assert.equal(r.status, 503);
  const file = AccessLogFiles.fileOf(edge.dataDir, logArn);
  let line: Record<string, string> | undefined;
  for (let i = 0; i < 200 && !line; i++) {
    const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (text) line = JSON.parse(text.split('\n')[0]);
    if (!line) await sleep(25);
  }
  assert.ok(line, 'the request was logged');
  const id = r.headers['apigw-requestid'];
  assert.equal(line.requestId, id);
  assert.equal(line.extendedRequestId, id);
  assert.equal(line.accountId, '000000000000');
  assert.equal(line.apiId, apiId);
  assert.equal(line.domainName, `${apiId}.execute-api.localhost`);
  assert.equal(line.domainPrefix, apiId);
  assert.equal(line.httpMethod, 'GET');
  assert.equal(line.path, '/v1/down');
  assert.equal(line.protocol, 'HTTP/1.1');
  assert.equal(line.routeKey, 'GET /down');
  assert.equal(line.stage, 'v1');
  assert.equal(line.status, '503');
  assert.equal(line.responseLength, String('{"message":"Service Unavailable"}'.length));
  assert.equal(line.dataProcessed, line.responseLength);
  assert.match(line.requestTime, /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
  assert.match(line.requestTimeEpoch, /^\d{13}$/);
  assert.match(line.responseLatency, /^\d+$/);
  assert.match(line.integrationLatency, /^\d+$/);
  assert.equal(line['integration.latency'], line.integrationLatency);
  for (const n of ['integrationStatus', 'integration.status', 'integration.integrationStatus'])
    assert.equal(line[n], '-', `${n}: no response from the backend`);
  assert.match(line.integrationErrorMessage, /^Integration unreachable: /);
  assert.equal(line['integration.error'], line.integrationErrorMessage);
  assert.equal(line['error.message'], 'Service Unavailable');
  assert.equal(line['error.messageString'], '"Service Unavailable"');
  assert.equal(line['identity.sourceIp'], '127.0.0.1');
  assert.equal(line['identity.userAgent'], 'log-test/1.0');
  assert.equal(line.noSuchVariable, '-');
});
