import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { APIGatewayProxyEventSchema, APIGatewayProxyEventV2Schema } from '@aws-lambda-powertools/parser/schemas';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { AddPermissionCommand, RemovePermissionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { strToU8, zipSync } from 'fflate';
import { clients, deployApi, sdkAllow, sdkFunction } from './helpers.ts';

const FUNCTION = `
export const handler = async (event) => {
  const mode = (event.queryStringParameters || {}).mode;
  if (mode === 'string') return 'Hello from Lambda!';
  if (mode === 'object') return { message: 'hi' };
  if (mode === 'cookies') return { statusCode: 201, cookies: ['a=1; HttpOnly', 'b=2'], headers: { 'x-a': '1,2' }, body: 'made' };
  if (mode === 'binary') return { statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, isBase64Encoded: true, body: Buffer.from([0, 1, 2, 255]).toString('base64') };
  if (mode === 'length') return { statusCode: 200, body: String(event.body.length) };
  if (mode === 'throw') throw new Error('boom');
  if (mode === 'bad') return { statusCode: 'abc' };
  if (mode === 'slow') { await new Promise((r) => setTimeout(r, 1500)); return 'late'; }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
};`;

// Field sets of aws-lambda-go's events/testdata/apigw-v2-request-no-authorizer.json (mTLS-only `authentication` left out).
const SAMPLE_V2_KEYS = [
  'version',
  'routeKey',
  'rawPath',
  'rawQueryString',
  'headers',
  'requestContext',
  'isBase64Encoded',
];
const SAMPLE_V2_CONTEXT_KEYS = [
  'accountId',
  'apiId',
  'domainName',
  'domainPrefix',
  'http',
  'requestId',
  'routeKey',
  'stage',
  'time',
  'timeEpoch',
];
const SAMPLE_V2_HTTP_KEYS = ['method', 'path', 'protocol', 'sourceIp', 'userAgent'];
const SAMPLE_V2_HEADERS = [
  'accept',
  'content-length',
  'host',
  'user-agent',
  'x-amzn-trace-id',
  'x-forwarded-for',
  'x-forwarded-port',
  'x-forwarded-proto',
];

let edge: TestEdge;
let base: string;
let devBase: string;
let apiId: string;

before(async () => {
  edge = await startTestEdge();
  const fn = await sdkFunction(edge, 'echo', FUNCTION);
  await sdkFunction(edge, 'forbidden', FUNCTION);
  const forbiddenArn = fn.replace(':echo', ':forbidden');
  const deployed = await deployApi(edge, [
    { routeKey: '$default', target: fn },
    { routeKey: 'GET /items/{id}', target: fn },
    { routeKey: 'ANY /v1/{proxy+}', target: fn, payloadFormatVersion: '1.0' },
    { routeKey: 'GET /slow', target: fn, timeoutInMillis: 300 },
    { routeKey: 'GET /forbidden', target: forbiddenArn },
  ]);
  apiId = deployed.apiId;
  base = deployed.base;
  const { CreateStageCommand } = await import('@aws-sdk/client-apigatewayv2');
  await deployed.apigw.send(
    new CreateStageCommand({ ApiId: apiId, StageName: 'dev', AutoDeploy: true, StageVariables: { color: 'blue' } }),
  );
  devBase = `${base}/dev`;
  await sdkAllow(edge, 'echo', apiId);
});

after(async () => {
  await edge.close();
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function send(
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event is asserted on field by field
const eventOf = (r: Reply) => JSON.parse(r.body.toString()) as Record<string, any>;

test('a bodiless GET on the $default route has exactly the field set of the real sample event and validates as 2.0', async () => {
  const r = await send(`${base}/`, { headers: { accept: '*/*', 'user-agent': 'curl/8.0' } });
  assert.equal(r.status, 200);
  const event = eventOf(r);
  APIGatewayProxyEventV2Schema.parse(event);
  assert.deepEqual(Object.keys(event).sort(), [...SAMPLE_V2_KEYS].sort());
  assert.deepEqual(Object.keys(event.requestContext).sort(), [...SAMPLE_V2_CONTEXT_KEYS].sort());
  assert.deepEqual(Object.keys(event.requestContext.http).sort(), [...SAMPLE_V2_HTTP_KEYS].sort());
  for (const h of SAMPLE_V2_HEADERS) assert.ok(h in event.headers, `header ${h}`);
  assert.equal(event.headers['content-length'], '0');
  assert.match(event.headers['x-amzn-trace-id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  assert.equal(event.routeKey, '$default');
  assert.equal(event.rawPath, '/');
  assert.equal(event.rawQueryString, '');
  assert.equal(event.isBase64Encoded, false);
  const ctx = event.requestContext;
  assert.equal(ctx.apiId, apiId);
  assert.equal(ctx.accountId, edge.config.accountId);
  assert.equal(ctx.stage, '$default');
  assert.equal(ctx.domainPrefix, apiId);
  assert.equal(ctx.http.sourceIp, '127.0.0.1');
  assert.equal(ctx.http.userAgent, 'curl/8.0');
  assert.match(ctx.time, /^\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  assert.ok(Number.isInteger(ctx.timeEpoch) && Math.abs(ctx.timeEpoch - Date.now()) < 60_000);
  assert.match(ctx.requestId, /^[A-Za-z0-9_-]{15}=$/);
  assert.equal(r.headers['apigw-requestid'], ctx.requestId);
});

test('2.0 event: path parameters decoded, query and duplicate headers comma-joined, cookies split out, raw query kept', async () => {
  const r = await send(`${base}/items/a%20b?x=1&x=2&y=%2F`, {
    headers: { 'x-multi': ['1', '2'], cookie: 'a=1; b=2', 'X-Mixed-Case': 'v' },
  });
  const event = eventOf(r);
  APIGatewayProxyEventV2Schema.parse(event);
  assert.equal(event.routeKey, 'GET /items/{id}');
  assert.equal(event.requestContext.routeKey, 'GET /items/{id}');
  assert.deepEqual(event.pathParameters, { id: 'a b' });
  assert.equal(event.rawPath, '/items/a b');
  assert.equal(event.rawQueryString, 'x=1&x=2&y=%2F');
  assert.deepEqual(event.queryStringParameters, { x: '1,2', y: '/' });
  assert.deepEqual(event.cookies, ['a=1', 'b=2']);
  assert.equal(event.headers.cookie, undefined);
  assert.equal(event.headers['x-multi'], '1,2');
  assert.equal(event.headers['x-mixed-case'], 'v');
});

test('2.0 event: JSON bodies arrive as text, other types (and none) base64; a named stage keeps its prefix in rawPath', async () => {
  const json = eventOf(
    await send(`${base}/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    }),
  );
  assert.equal(json.body, '{"a":1}');
  assert.equal(json.isBase64Encoded, false);
  const bin = eventOf(
    await send(`${base}/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 255]),
    }),
  );
  assert.equal(bin.body, Buffer.from([0, 255]).toString('base64'));
  assert.equal(bin.isBase64Encoded, true);
  const form = eventOf(
    await send(`${base}/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    }),
  );
  assert.equal(form.isBase64Encoded, true);

  const dev = eventOf(await send(`${devBase}/items/7`));
  APIGatewayProxyEventV2Schema.parse(dev);
  assert.equal(dev.rawPath, '/dev/items/7');
  assert.equal(dev.requestContext.http.path, '/dev/items/7');
  assert.equal(dev.requestContext.stage, 'dev');
  assert.deepEqual(dev.stageVariables, { color: 'blue' });
});

test('1.0 event: validates against the v1 schema, multi-value maps, null collections, stage in path', async () => {
  const event = eventOf(
    await send(`${devBase}/v1/a/b?q=1&q=2`, {
      method: 'PUT',
      headers: { 'X-Multi': ['1', '2'], 'content-type': 'text/plain' },
      body: 'hi',
    }),
  );
  APIGatewayProxyEventSchema.parse(event);
  assert.equal(event.version, '1.0');
  assert.equal(event.resource, '/v1/{proxy+}');
  assert.equal(event.path, '/dev/v1/a/b');
  assert.equal(event.httpMethod, 'PUT');
  assert.deepEqual(event.pathParameters, { proxy: 'a/b' });
  assert.deepEqual(event.queryStringParameters, { q: '2' });
  assert.deepEqual(event.multiValueQueryStringParameters, { q: ['1', '2'] });
  assert.deepEqual(event.multiValueHeaders['X-Multi'], ['1', '2']);
  assert.equal(event.headers['X-Multi'], '2');
  assert.equal(event.body, 'hi');
  assert.equal(event.requestContext.stage, 'dev');
  const bare = eventOf(await send(`${base}/v1/x`));
  APIGatewayProxyEventSchema.parse(bare);
  assert.equal(bare.queryStringParameters, null);
  assert.equal(bare.multiValueQueryStringParameters, null);
  assert.equal(bare.stageVariables, null);
  assert.equal(bare.body, null);
});

test('2.0 responses: inference without statusCode, cookies as Set-Cookie, base64 bodies, default content type', async () => {
  const s = await send(`${base}/x?mode=string`);
  assert.equal(s.status, 200);
  assert.equal(s.headers['content-type'], 'application/json');
  assert.equal(s.body.toString(), 'Hello from Lambda!');
  const o = await send(`${base}/x?mode=object`);
  assert.deepEqual(JSON.parse(o.body.toString()), { message: 'hi' });
  const c = await send(`${base}/x?mode=cookies`);
  assert.equal(c.status, 201);
  assert.deepEqual(c.headers['set-cookie'], ['a=1; HttpOnly', 'b=2']);
  assert.equal(c.headers['x-a'], '1,2');
  assert.equal(c.headers['content-type'], 'application/json');
  assert.equal(c.body.toString(), 'made');
  const b = await send(`${base}/x?mode=binary`);
  assert.deepEqual([...b.body], [0, 1, 2, 255]);
});

test('bodies near the 6 MB Lambda payload limit: 3 MB binary and 5.5 MB text arrive whole, a 7 MB body is refused with 500', async () => {
  const binary = await send(`${base}/big?mode=length`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(3 << 20, 7),
  });
  assert.equal(binary.status, 200);
  assert.equal(binary.body.toString(), String(Buffer.alloc(3 << 20, 7).toString('base64').length));
  const text = await send(`${base}/big?mode=length`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'a'.repeat(5.5 * (1 << 20)),
  });
  assert.equal(text.status, 200);
  assert.equal(text.body.toString(), String(5.5 * (1 << 20)));
  const tooBig = await send(`${base}/big?mode=length`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'a'.repeat(7 << 20),
  });
  assert.equal(tooBig.status, 500);
  assert.deepEqual(JSON.parse(tooBig.body.toString()), { message: 'Internal Server Error' });
});

test('function errors, bad responses and a missing permission give 500; a slow function 503', async () => {
  for (const mode of ['throw', 'bad']) {
    const r = await send(`${base}/x?mode=${mode}`);
    assert.equal(r.status, 500, mode);
    assert.equal(r.body.toString(), '{"message":"Internal Server Error"}');
    assert.ok(r.headers['apigw-requestid']);
  }
  const denied = await send(`${base}/forbidden`);
  assert.equal(denied.status, 500);
  assert.equal(denied.body.toString(), '{"message":"Internal Server Error"}');
  const slow = await send(`${base}/slow?mode=slow`);
  assert.equal(slow.status, 503);
  assert.equal(slow.body.toString(), '{"message":"Service Unavailable"}');
});

test('permission and code changes reach the next request (the cached policy, function and route are refreshed)', async () => {
  const { lambda } = clients(edge);
  assert.equal((await send(`${base}/forbidden`)).status, 500);
  await lambda.send(
    new AddPermissionCommand({
      FunctionName: 'forbidden',
      StatementId: 'now',
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: `arn:aws:execute-api:${edge.region}:${edge.config.accountId}:${apiId}/*/*`,
    }),
  );
  assert.equal((await send(`${base}/forbidden?mode=string`)).body.toString(), 'Hello from Lambda!');
  await lambda.send(
    new UpdateFunctionCodeCommand({
      FunctionName: 'forbidden',
      ZipFile: zipSync({ 'index.mjs': strToU8(`export const handler = async () => 'version 2';`) }),
    }),
  );
  assert.equal((await send(`${base}/forbidden`)).body.toString(), 'version 2');
  await lambda.send(new RemovePermissionCommand({ FunctionName: 'forbidden', StatementId: 'now' }));
  assert.equal((await send(`${base}/forbidden`)).status, 500);
});

test('an unknown API answers 404 Not Found with a request id', async () => {
  const unknown = await send(`${edge.url}/_aws/execute-api/zzzzzzzzzz/`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.toString(), '{"message":"Not Found"}');
  assert.ok(unknown.headers['apigw-requestid']);
});
