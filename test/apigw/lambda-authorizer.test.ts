import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APIGatewayProxyEventV2Schema,
  APIGatewayRequestAuthorizerEventV2Schema,
} from '@aws-lambda-powertools/parser/schemas';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { aws, deployApi, ECHO_FUNCTION, sdkAllow, sdkFunction } from './helpers.ts';

/** Allows `Authorization: allow…`, denies anything else; its context carries the event it got and the request id. */
const SIMPLE = `export const handler = async (event) => ({
  isAuthorized: event.identitySource[0].startsWith('allow'),
  context: { user: 'u-' + event.identitySource[0], n: 7, ok: true, firstRequest: event.requestContext.requestId, event: JSON.stringify(event) },
});`;

/** Payload 1.0, IAM policy: allows GET /policy/* of any stage for "allow", denies "deny", answers junk for "junk". */
const POLICY = `export const handler = async (event) => {
  const token = event.authorizationToken;
  if (token.startsWith('junk')) return { nonsense: true };
  if (token.startsWith('throw')) throw new Error('authorizer broke');
  if (token.startsWith('slow')) { await new Promise((r) => setTimeout(r, 11000)); }
  const [arn] = event.methodArn.split('/');
  return {
    principalId: 'principal-' + token,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: token.startsWith('deny') ? 'Deny' : 'Allow', Resource: arn + '/*/GET/policy/*' }] },
    context: { tenant: 't1', event: JSON.stringify(event) },
  };
};`;

let edge: TestEdge;
let base: string;
let apiId: string;

async function call(path: string, headers: Record<string, string> = {}, method = 'GET') {
  const r = await fetch(`${base}${path}`, { method, headers });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

before(async () => {
  edge = await startTestEdge();
  const echo = await sdkFunction(edge, 'echo', ECHO_FUNCTION);
  const simple = await sdkFunction(edge, 'simple-auth', SIMPLE);
  const policy = await sdkFunction(edge, 'policy-auth', POLICY);
  await aws(edge, ['lambda', 'update-function-configuration', '--function-name', 'policy-auth', '--timeout', '15']);
  const deployed = await deployApi(
    edge,
    [
      { routeKey: 'GET /simple', target: echo },
      { routeKey: 'GET /cached', target: echo },
      { routeKey: 'GET /policy/{id}', target: echo, payloadFormatVersion: '1.0' },
      { routeKey: 'GET /other', target: echo },
      { routeKey: '$default', target: echo },
      { routeKey: 'OPTIONS /open/{proxy+}', target: echo },
    ],
    {},
    { CorsConfiguration: { AllowOrigins: ['https://app.example'], AllowMethods: ['GET'] } },
  );
  ({ apiId, base } = deployed);
  for (const fn of ['echo', 'simple-auth', 'policy-auth']) await sdkAllow(edge, fn, apiId);
  const uri = (arn: string) => `arn:aws:apigateway:${edge.region}:lambda:path/2015-03-31/functions/${arn}/invocations`;
  const simpleId = (
    await aws(edge, [
      'apigatewayv2',
      'create-authorizer',
      '--api-id',
      apiId,
      '--name',
      'simple',
      '--authorizer-type',
      'REQUEST',
      '--authorizer-uri',
      uri(simple),
      '--identity-source',
      '$request.header.Authorization',
      '--authorizer-payload-format-version',
      '2.0',
      '--enable-simple-responses',
    ])
  ).AuthorizerId as string;
  const cachedId = (
    await aws(edge, [
      'apigatewayv2',
      'create-authorizer',
      '--api-id',
      apiId,
      '--name',
      'cached',
      '--authorizer-type',
      'REQUEST',
      '--authorizer-uri',
      uri(simple),
      '--identity-source',
      '$request.header.Authorization',
      '$request.querystring.team',
      '--authorizer-payload-format-version',
      '2.0',
      '--enable-simple-responses',
      '--authorizer-result-ttl-in-seconds',
      '300',
    ])
  ).AuthorizerId as string;
  const policyId = (
    await aws(edge, [
      'apigatewayv2',
      'create-authorizer',
      '--api-id',
      apiId,
      '--name',
      'policy',
      '--authorizer-type',
      'REQUEST',
      '--authorizer-uri',
      uri(policy),
      '--identity-source',
      '$request.header.Authorization',
      '--authorizer-payload-format-version',
      '1.0',
      '--authorizer-result-ttl-in-seconds',
      '300',
    ])
  ).AuthorizerId as string;
  const routes = (await aws(edge, ['apigatewayv2', 'get-routes', '--api-id', apiId])).Items as Array<{
    RouteId: string;
    RouteKey: string;
  }>;
  const authorizerOf: Record<string, string> = {
    'GET /simple': simpleId,
    'GET /cached': cachedId,
    'GET /policy/{id}': policyId,
    'GET /other': policyId,
    $default: simpleId,
  };
  for (const route of routes) {
    const id = authorizerOf[route.RouteKey];
    if (id)
      await aws(edge, [
        'apigatewayv2',
        'update-route',
        '--api-id',
        apiId,
        '--route-id',
        route.RouteId,
        '--authorization-type',
        'CUSTOM',
        '--authorizer-id',
        id,
      ]);
  }
});

after(async () => {
  await edge?.close();
});

test('simple responses (2.0): allowed requests reach the integration with the context; denied ones get 403', async () => {
  const allowed = await call('/simple?q=1', { authorization: 'allow-alice' });
  assert.equal(allowed.status, 200, allowed.body);
  const event = JSON.parse(allowed.body);
  APIGatewayProxyEventV2Schema.parse(event);
  const context = event.requestContext.authorizer.lambda;
  assert.equal(context.user, 'u-allow-alice');
  assert.equal(context.n, 7);
  assert.equal(context.ok, true);
  const authorizerEvent = JSON.parse(context.event);
  APIGatewayRequestAuthorizerEventV2Schema.parse(authorizerEvent);
  assert.equal(authorizerEvent.type, 'REQUEST');
  assert.equal(authorizerEvent.version, '2.0');
  assert.deepEqual(authorizerEvent.identitySource, ['allow-alice']);
  assert.equal(
    authorizerEvent.routeArn,
    `arn:aws:execute-api:${edge.region}:${edge.config.accountId}:${apiId}/$default/GET/simple`,
  );
  assert.equal(authorizerEvent.routeKey, 'GET /simple');
  assert.equal(authorizerEvent.rawQueryString, 'q=1');
  assert.equal(authorizerEvent.body, undefined);

  const denied = await call('/simple', { authorization: 'nope' });
  assert.equal(denied.status, 403);
  assert.equal(denied.body, '{"message":"Forbidden"}');
});

test('a missing identity source is 401 without invoking the authorizer (which would have allowed it)', async () => {
  const r = await call('/simple');
  assert.equal(r.status, 401);
  assert.equal(r.body, '{"message":"Unauthorized"}');
  // The cached authorizer wants both the header and ?team=.
  assert.equal((await call('/cached', { authorization: 'allow-x' })).status, 401);
});

test('answers are cached by identity-source values for the TTL, and reset-authorizers-cache forgets them', async () => {
  const first = JSON.parse((await call('/cached?team=a', { authorization: 'allow-bob' })).body).requestContext;
  const second = JSON.parse((await call('/cached?team=a', { authorization: 'allow-bob' })).body).requestContext;
  assert.equal(first.authorizer.lambda.firstRequest, first.requestId);
  assert.equal(second.authorizer.lambda.firstRequest, first.requestId, 'second request answered from the cache');
  const otherTeam = JSON.parse((await call('/cached?team=b', { authorization: 'allow-bob' })).body).requestContext;
  assert.equal(otherTeam.authorizer.lambda.firstRequest, otherTeam.requestId, 'other identity values invoke again');

  await aws(edge, ['apigatewayv2', 'reset-authorizers-cache', '--api-id', apiId, '--stage-name', '$default']);
  const third = JSON.parse((await call('/cached?team=a', { authorization: 'allow-bob' })).body).requestContext;
  assert.equal(third.authorizer.lambda.firstRequest, third.requestId, 'invoked again after the reset');
});

test('IAM-policy responses (1.0): Allow on the route ARN passes the context and principalId; Deny or no match is 403', async () => {
  const r = await call('/policy/7', { authorization: 'allow-carol' });
  assert.equal(r.status, 200, r.body);
  const event = JSON.parse(r.body);
  assert.equal(event.requestContext.authorizer.principalId, 'principal-allow-carol');
  assert.equal(event.requestContext.authorizer.tenant, 't1');
  const authorizerEvent = JSON.parse(event.requestContext.authorizer.event);
  assert.equal(authorizerEvent.version, '1.0');
  assert.equal(authorizerEvent.type, 'REQUEST');
  assert.equal(authorizerEvent.identitySource, 'allow-carol');
  assert.equal(authorizerEvent.authorizationToken, 'allow-carol');
  assert.equal(
    authorizerEvent.methodArn,
    `arn:aws:execute-api:${edge.region}:${edge.config.accountId}:${apiId}/$default/GET/policy/7`,
  );
  assert.equal(authorizerEvent.resource, '/policy/{id}');
  assert.deepEqual(authorizerEvent.pathParameters, { id: '7' });

  assert.equal((await call('/policy/7', { authorization: 'deny-dave' })).status, 403);
  // The cached policy of "allow-carol" is evaluated again for another route ARN, which it does not cover.
  const other = await call('/other', { authorization: 'allow-carol' });
  assert.equal(other.status, 403);
  assert.equal(other.body, '{"message":"Forbidden"}');
});

test('a bad answer, a failing function and a timeout are 500 Internal Server Error', async () => {
  for (const token of ['junk', 'throw']) {
    const r = await call('/policy/1', { authorization: token });
    assert.equal(r.status, 500, token);
    assert.equal(r.body, '{"message":"Internal Server Error"}');
  }
  const slow = await call('/policy/1', { authorization: 'slow' });
  assert.equal(slow.status, 500);
});

test('CORS preflights: one routed to $default meets its authorizer; an OPTIONS route with none lets it through', async () => {
  const preflight = { origin: 'https://app.example', 'access-control-request-method': 'GET' };
  const blocked = await call('/somewhere', preflight, 'OPTIONS');
  assert.equal(blocked.status, 401);
  assert.equal(blocked.headers.get('access-control-allow-origin'), 'https://app.example');
  const open = await call('/open/x', preflight, 'OPTIONS');
  assert.equal(open.status, 204);
  assert.equal(open.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.equal((await call('/somewhere', { ...preflight, authorization: 'allow-x' }, 'OPTIONS')).status, 204);
});
