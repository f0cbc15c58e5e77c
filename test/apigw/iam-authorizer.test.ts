import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { signedHeaders } from '../helpers/sigv4.ts';
import { aws, deployApi, ECHO_FUNCTION, sdkAllow, sdkFunction, startUpstream } from './helpers.ts';

const run = promisify(execFile);

let edge: TestEdge;
let base: string;
let apiId: string;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

/** Sends a request signed by the SDK's SignatureV4 for service execute-api. */
async function signedFetch(
  url: string,
  options: { method?: string; body?: string; secret?: string; service?: string } = {},
) {
  const method = options.method ?? 'GET';
  const headers = await signedHeaders({
    url,
    service: options.service ?? 'execute-api',
    region: edge.region,
    credentials: {
      accessKeyId: edge.credentials.accessKeyId,
      secretAccessKey: options.secret ?? edge.credentials.secretAccessKey,
    },
    method,
    headers: options.body !== undefined ? { 'content-type': 'application/json' } : {},
    body: options.body,
  });
  const r = await fetch(url, {
    method,
    headers,
    body: options.body,
  });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

before(async () => {
  edge = await startTestEdge();
  upstream = await startUpstream();
  const echo = await sdkFunction(edge, 'echo', ECHO_FUNCTION);
  ({ apiId, base } = await deployApi(edge, [
    { routeKey: 'ANY /iam', target: echo },
    { routeKey: 'POST /proxied', target: upstream.url },
    { routeKey: 'GET /open', target: echo },
  ]));
  await sdkAllow(edge, 'echo', apiId);
  const routes = (await aws(edge, ['apigatewayv2', 'get-routes', '--api-id', apiId])).Items as Array<{
    RouteId: string;
    RouteKey: string;
  }>;
  for (const route of routes.filter((r) => r.RouteKey !== 'GET /open')) {
    await aws(edge, [
      'apigatewayv2',
      'update-route',
      '--api-id',
      apiId,
      '--route-id',
      route.RouteId,
      '--authorization-type',
      'AWS_IAM',
    ]);
  }
});

after(async () => {
  await edge?.close();
  await upstream?.close();
});

test('a SigV4-signed request (SDK SignatureV4, service execute-api) reaches the integration with authorizer.iam', async () => {
  const r = await signedFetch(`${base}/iam?x=1`);
  assert.equal(r.status, 200, r.body);
  const event = JSON.parse(r.body);
  assert.deepEqual(event.requestContext.authorizer.iam, {
    accessKey: edge.credentials.accessKeyId,
    accountId: edge.config.accountId,
    callerId: edge.config.accountId,
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: `arn:aws:iam::${edge.config.accountId}:root`,
    userId: edge.config.accountId,
  });
  assert.match(event.headers.authorization, /^AWS4-HMAC-SHA256 /);
});

test('a signed body is checked and still reaches Lambda and HTTP integrations', async () => {
  const lambda = await signedFetch(`${base}/iam`, { method: 'POST', body: '{"a":1}' });
  assert.equal(lambda.status, 200, lambda.body);
  assert.equal(JSON.parse(lambda.body).body, '{"a":1}');
  const proxied = await signedFetch(`${base}/proxied`, { method: 'POST', body: '{"b":2}' });
  assert.equal(proxied.status, 200, proxied.body);
  assert.equal(upstream.received.at(-1)!.body.toString(), '{"b":2}');
  // The body differs from the one that was signed.
  const headers = await signedHeaders({
    url: `${base}/iam`,
    service: 'execute-api',
    region: edge.region,
    credentials: edge.credentials,
    method: 'POST',
    body: 'one',
  });
  const swapped = await fetch(`${base}/iam`, {
    method: 'POST',
    headers,
    body: 'two',
  });
  assert.equal(swapped.status, 403);
  assert.equal(swapped.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
});

test('botocore SigV4Auth signing works too', async () => {
  const script = `
import os, sys, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
req = AWSRequest(method='GET', url=sys.argv[1])
SigV4Auth(Credentials(os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY']), 'execute-api', os.environ['AWS_REGION']).add_auth(req)
with urllib.request.urlopen(urllib.request.Request(sys.argv[1], headers=dict(req.headers))) as r:
    print(r.status, r.read().decode()[:40])
`;
  const { stdout } = await run('python3', ['-c', script, `${base}/iam?who=boto`], { env: edge.env });
  assert.match(stdout, /^200 /);
});

test('unsigned, wrongly signed, wrong-service and unknown-key requests get 403 in AWS form', async () => {
  const unsigned = await fetch(`${base}/iam`);
  assert.equal(unsigned.status, 403);
  assert.equal(await unsigned.text(), '{"message":"Forbidden"}');

  const wrongSecret = await signedFetch(`${base}/iam`, { secret: 'not-the-secret' });
  assert.equal(wrongSecret.status, 403);
  assert.equal(wrongSecret.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  assert.match(JSON.parse(wrongSecret.body).message, /^The request signature we calculated does not match/);

  const wrongService = await signedFetch(`${base}/iam`, { service: 'apigateway' });
  assert.equal(wrongService.status, 403);
  assert.match(wrongService.body, /Credential should be scoped to correct service: 'execute-api'/);

  const unknownKey = await fetch(`${base}/iam`, {
    headers: {
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAUNKNOWN/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc',
      'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''),
    },
  });
  assert.equal(unknownKey.status, 403);
});

test('a route without an authorizer ignores signatures and their absence', async () => {
  assert.equal((await fetch(`${base}/open`)).status, 200);
});
