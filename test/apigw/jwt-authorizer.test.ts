import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { AccessLogFiles } from '../../src/apigw/access-log.ts';
import { restartTestEdge, startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { aws, awsFails, deployApi, ECHO_FUNCTION, sdkAllow, sdkFunction } from './helpers.ts';
import { newKey, startOidcServer, type TestKey } from './oidc-server.ts';

const run = promisify(execFile);

const BILLING_FORMAT =
  '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","user":"$context.authorizer.claims.cognito:username","sub":"$context.authorizer.claims.sub","requestTime":$context.requestTimeEpoch,"httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","path":"$context.path","status":"$context.status","protocol":"$context.protocol","responseLength":$context.responseLength}';
const LOG_ARN = 'arn:aws:logs:us-east-1:000000000000:log-group:/ddn/billing';

let edge: TestEdge;
let oidc: Awaited<ReturnType<typeof startOidcServer>>;
let key: TestKey;
let base: string;
let apiId: string;
let authorizerId: string;

interface Curl {
  status: number;
  headers: string;
  body: string;
}

/** curl, as a user would call the API: status, raw response headers and body. */
async function curl(url: string, token?: string, extra: string[] = []): Promise<Curl> {
  const args = ['-s', '-D', '-', ...extra, url];
  if (token !== undefined) args.unshift('-H', `Authorization: Bearer ${token}`);
  const { stdout } = await run('curl', args);
  const split = stdout.indexOf('\r\n\r\n');
  const headers = stdout.slice(0, split);
  return {
    status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(headers)![1]),
    headers: headers.toLowerCase(),
    body: stdout.slice(split + 4),
  };
}

before(async () => {
  oidc = await startOidcServer();
  key = await newKey('key-1');
  oidc.publish(key);
  edge = await startTestEdge();
  const fn = await sdkFunction(edge, 'echo', ECHO_FUNCTION);
  const deployed = await deployApi(
    edge,
    [
      { routeKey: 'GET /me', target: fn },
      { routeKey: 'GET /v1/me', target: fn, payloadFormatVersion: '1.0' },
      { routeKey: 'GET /admin', target: fn },
      { routeKey: 'GET /open', target: fn },
    ],
    { AccessLogSettings: { DestinationArn: LOG_ARN, Format: BILLING_FORMAT } },
  );
  ({ apiId, base } = deployed);
  await sdkAllow(edge, 'echo', apiId);
  const created = await aws(edge, [
    'apigatewayv2',
    'create-authorizer',
    '--api-id',
    apiId,
    '--name',
    'users',
    '--authorizer-type',
    'JWT',
    '--identity-source',
    '$request.header.Authorization',
    '--jwt-configuration',
    `Audience=app-client,Issuer=${oidc.issuer}`,
  ]);
  authorizerId = created.AuthorizerId;
  const routes = (await aws(edge, ['apigatewayv2', 'get-routes', '--api-id', apiId])).Items as Array<{
    RouteId: string;
    RouteKey: string;
  }>;
  for (const route of routes) {
    if (route.RouteKey === 'GET /open') continue;
    const scopes = route.RouteKey === 'GET /admin' ? ['--authorization-scopes', 'admin'] : [];
    await aws(edge, [
      'apigatewayv2',
      'update-route',
      '--api-id',
      apiId,
      '--route-id',
      route.RouteId,
      '--authorization-type',
      'JWT',
      '--authorizer-id',
      authorizerId,
      ...scopes,
    ]);
  }
});

after(async () => {
  await edge?.close();
  await oidc?.close();
});

test('create-authorizer answers the authorizer as AWS does (no Lambda members for JWT)', async () => {
  const got = await aws(edge, ['apigatewayv2', 'get-authorizer', '--api-id', apiId, '--authorizer-id', authorizerId]);
  assert.deepEqual(got, {
    AuthorizerId: authorizerId,
    AuthorizerType: 'JWT',
    IdentitySource: ['$request.header.Authorization'],
    JwtConfiguration: { Audience: ['app-client'], Issuer: oidc.issuer },
    Name: 'users',
  });
  const list = (await aws(edge, ['apigatewayv2', 'get-authorizers', '--api-id', apiId])) as {
    Items: Array<{ Name: string }>;
  };
  assert.deepEqual(
    list.Items.map((a) => a.Name),
    ['users'],
  );
});

test('a good token reaches the integration with its claims as strings (payload 2.0) and the JWKS is fetched once', async () => {
  const token = await oidc.sign(key, {
    sub: 'user-1',
    aud: 'app-client',
    'cognito:username': 'alice',
    groups: ['admin', 'dev'],
    email_verified: true,
  });
  for (let i = 0; i < 5; i++) {
    const r = await curl(`${base}/me`, token);
    assert.equal(r.status, 200, r.body);
    const authorizer = JSON.parse(r.body).requestContext.authorizer;
    assert.equal(authorizer.jwt.scopes, null);
    assert.equal(authorizer.jwt.claims.sub, 'user-1');
    assert.equal(authorizer.jwt.claims['cognito:username'], 'alice');
    assert.equal(authorizer.jwt.claims.groups, '[admin dev]');
    assert.equal(authorizer.jwt.claims.email_verified, 'true');
    assert.match(authorizer.jwt.claims.exp, /^\d+$/);
  }
  assert.equal(oidc.hits.discovery, 1);
  assert.equal(oidc.hits.jwks, 1);
});

test('payload 1.0 carries requestContext.authorizer.claims and scopes', async () => {
  const token = await oidc.sign(key, { sub: 'user-2', aud: 'app-client' });
  const r = await curl(`${base}/v1/me`, token);
  assert.equal(r.status, 200, r.body);
  const authorizer = JSON.parse(r.body).requestContext.authorizer;
  assert.equal(authorizer.claims.sub, 'user-2');
  assert.equal(authorizer.scopes, null);
});

test('expired, tampered, wrong-audience, wrong-issuer, foreign-key, HS256 and missing tokens get 401 Unauthorized', async () => {
  const now = Math.floor(Date.now() / 1000);
  const good = await oidc.sign(key, { sub: 'u', aud: 'app-client' });
  const hs256 = await new SignJWT({ sub: 'u', aud: 'app-client', iss: oidc.issuer, exp: now + 600 })
    .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
    .sign(new TextEncoder().encode('a shared secret anyone could guess'));
  const [header, payload, signature] = good.split('.');
  const forged = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'admin' }),
  ).toString('base64url');
  const foreign = await newKey('key-1');
  const cases: Array<[string, string | undefined, RegExp | undefined]> = [
    [
      'expired',
      await oidc.sign(key, { sub: 'u', aud: 'app-client', iat: now - 7200, exp: now - 3600 }),
      /the token has expired/,
    ],
    ['tampered', `${header}.${forged}.${signature}`, /signature is invalid/],
    [
      'wrong audience',
      await oidc.sign(key, { sub: 'u', aud: 'someone-else' }),
      /the token does not have a valid audience/,
    ],
    [
      'wrong issuer',
      await oidc.sign(key, { sub: 'u', aud: 'app-client', iss: 'https://elsewhere.example' }),
      /valid issuer/,
    ],
    ['foreign key, same kid', await oidc.sign(foreign, { sub: 'u', aud: 'app-client' }), /signature is invalid/],
    [
      'foreign key, unknown kid',
      await oidc.sign(foreign, { sub: 'u', aud: 'app-client' }, { kid: 'nobody' }),
      /not signed by a key of the issuer/,
    ],
    ['not yet valid', await oidc.sign(key, { sub: 'u', aud: 'app-client', nbf: now + 600 }), /not valid yet/],
    ['not a JWT', 'abc.def', undefined],
    ['HS256', hs256, /not signed with an rsa algorithm/],
    ['missing', undefined, undefined],
  ];
  for (const [name, token, description] of cases) {
    const r = await curl(`${base}/me`, token);
    assert.equal(r.status, 401, name);
    assert.equal(r.body, '{"message":"Unauthorized"}', name);
    if (description)
      assert.match(r.headers, /www-authenticate: bearer scope="" error="invalid_token" error_description="/, name);
    if (description) assert.match(r.headers, description, name);
  }
});

test('client_id decides only when aud is absent', async () => {
  assert.equal(
    (await curl(`${base}/me`, await oidc.sign(key, { sub: 'u', client_id: 'app-client', token_use: 'access' }))).status,
    200,
  );
  assert.equal((await curl(`${base}/me`, await oidc.sign(key, { sub: 'u', client_id: 'other' }))).status, 401);
  assert.equal(
    (await curl(`${base}/me`, await oidc.sign(key, { sub: 'u', aud: 'other', client_id: 'app-client' }))).status,
    401,
  );
});

test('a scoped route wants one of its scopes: 403 Forbidden without, the full token scope list with', async () => {
  const reader = await oidc.sign(key, { sub: 'u', client_id: 'app-client', scope: 'read write' });
  const denied = await curl(`${base}/admin`, reader);
  assert.equal(denied.status, 403);
  assert.equal(denied.body, '{"message":"Forbidden"}');
  assert.match(denied.headers, /error="insufficient_scope"/);
  const admin = await oidc.sign(key, { sub: 'u', client_id: 'app-client', scope: 'read admin' });
  const allowed = await curl(`${base}/admin`, admin);
  assert.equal(allowed.status, 200);
  assert.deepEqual(JSON.parse(allowed.body).requestContext.authorizer.jwt.scopes, ['read', 'admin']);
  const scp = await oidc.sign(key, { sub: 'u', client_id: 'app-client', scp: ['admin'] });
  assert.equal((await curl(`${base}/admin`, scp)).status, 200);
});

test('a route with no authorizer is open and its event has no authorizer', async () => {
  const r = await curl(`${base}/open`);
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).requestContext.authorizer, undefined);
});

test('a token signed with a new key is accepted after the issuer publishes it (JWKS refetched on an unknown kid)', async () => {
  const rotated = await newKey('key-2');
  const token = await oidc.sign(rotated, { sub: 'u', aud: 'app-client' });
  oidc.publish(rotated);
  // Refetches are spaced by a cooldown of one second after the previous fetch.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const before = oidc.hits.jwks;
  assert.equal((await curl(`${base}/me`, token)).status, 200);
  assert.equal(oidc.hits.jwks, before + 1);
});

test('the billing access-log format writes one JSON line per request with the user name', async () => {
  const token = await oidc.sign(key, { sub: 'sub-bob', aud: 'app-client', 'cognito:username': 'bob' });
  await curl(`${base}/me`, token);
  await curl(`${base}/me`, token);
  await curl(`${base}/me`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const lines = readFileSync(AccessLogFiles.fileOf(edge.dataDir, LOG_ARN), 'utf8').trim().split('\n');
  const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const bob = records.filter((r) => r.user === 'bob');
  assert.equal(bob.length, 2);
  assert.equal(bob[0].sub, 'sub-bob');
  assert.equal(bob[0].routeKey, 'GET /me');
  assert.equal(bob[0].status, '200');
  assert.equal(typeof bob[0].responseLength, 'number');
  const anonymous = records.at(-1)!;
  assert.equal(anonymous.user, '-');
  assert.equal(anonymous.status, '401');
});

test('the aws CLI gets AWS errors for bad authorizers and route authorization', async () => {
  const routeId = (await aws(edge, ['apigatewayv2', 'create-route', '--api-id', apiId, '--route-key', 'GET /x']))
    .RouteId as string;
  let failed = await awsFails(edge, [
    'apigatewayv2',
    'update-route',
    '--api-id',
    apiId,
    '--route-id',
    routeId,
    '--authorization-type',
    'JWT',
  ]);
  assert.match(
    failed.stderr,
    /BadRequestException.*Setting the authorization type to JWT requires a valid JWT authorizer/,
  );
  failed = await awsFails(edge, [
    'apigatewayv2',
    'update-route',
    '--api-id',
    apiId,
    '--route-id',
    routeId,
    '--authorization-type',
    'CUSTOM',
    '--authorizer-id',
    authorizerId,
  ]);
  assert.match(
    failed.stderr,
    /Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer/,
  );
  failed = await awsFails(edge, [
    'apigatewayv2',
    'update-route',
    '--api-id',
    apiId,
    '--route-id',
    routeId,
    '--authorization-scopes',
    'admin',
  ]);
  assert.match(failed.stderr, /Authorization Scopes are only valid for COGNITO_USER_POOLS and JWT authorization types/);
  failed = await awsFails(edge, [
    'apigatewayv2',
    'create-authorizer',
    '--api-id',
    apiId,
    '--name',
    'fn',
    '--authorizer-type',
    'REQUEST',
    '--identity-source',
    '$request.header.x',
    '--authorizer-uri',
    `arn:aws:apigateway:${edge.region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${edge.region}:000000000000:function:f/invocations`,
  ]);
  assert.match(failed.stderr, /AuthorizerPayloadFormatVersion is a required parameter for REQUEST authorizer/);
  failed = await awsFails(edge, ['apigatewayv2', 'get-authorizer', '--api-id', apiId, '--authorizer-id', 'nope00']);
  assert.match(failed.stderr, /NotFoundException.*Invalid Authorizer identifier specified nope00/);
  failed = await awsFails(edge, [
    'apigatewayv2',
    'delete-authorizer',
    '--api-id',
    apiId,
    '--authorizer-id',
    authorizerId,
  ]);
  assert.match(failed.stderr, /ConflictException/);
  failed = await awsFails(edge, [
    'apigatewayv2',
    'create-authorizer',
    '--api-id',
    apiId,
    '--name',
    'two',
    '--authorizer-type',
    'JWT',
    '--identity-source',
    '$request.header.A',
    '$request.header.B',
    '--jwt-configuration',
    `Audience=x,Issuer=${oidc.issuer}`,
  ]);
  assert.match(failed.stderr, /exactly one identity source/);
  const protectedRoute = await aws(edge, [
    'apigatewayv2',
    'update-route',
    '--api-id',
    apiId,
    '--route-id',
    routeId,
    '--authorization-type',
    'JWT',
    '--authorizer-id',
    authorizerId,
    '--authorization-scopes',
    'admin',
  ]);
  assert.deepEqual(
    [protectedRoute.AuthorizationType, protectedRoute.AuthorizerId, protectedRoute.AuthorizationScopes],
    ['JWT', authorizerId, ['admin']],
  );
  // Back to NONE without naming an authorizer: the authorizer and scopes are let go.
  const open = await aws(edge, [
    'apigatewayv2',
    'update-route',
    '--api-id',
    apiId,
    '--route-id',
    routeId,
    '--authorization-type',
    'NONE',
  ]);
  assert.equal(open.AuthorizationType, 'NONE');
  assert.equal(open.AuthorizerId, undefined);
  assert.equal(open.AuthorizationScopes, undefined);
  await aws(edge, ['apigatewayv2', 'delete-route', '--api-id', apiId, '--route-id', routeId]);
});

test('update-authorizer merges; authorizers and protected routes survive a restart', async () => {
  const updated = await aws(edge, [
    'apigatewayv2',
    'update-authorizer',
    '--api-id',
    apiId,
    '--authorizer-id',
    authorizerId,
    '--name',
    'members',
  ]);
  assert.deepEqual(updated.JwtConfiguration, { Audience: ['app-client'], Issuer: oidc.issuer });
  edge = await restartTestEdge(edge);
  base = `${edge.url}/_aws/execute-api/${apiId}`;
  const got = await aws(edge, ['apigatewayv2', 'get-authorizer', '--api-id', apiId, '--authorizer-id', authorizerId]);
  assert.equal(got.Name, 'members');
  assert.equal((await curl(`${base}/me`)).status, 401);
  assert.equal((await curl(`${base}/me`, await oidc.sign(key, { sub: 'u', aud: 'app-client' }))).status, 200);
});

test('an issuer served by the edge itself (an API of this edge) works: the edge fetches its own discovery document and JWKS', async () => {
  const ownKey = await newKey('own-1');
  const docs = `export const handler = async (event) => {
    const jwks = { keys: [${JSON.stringify(ownKey.jwk)}] };
    const body = event.rawPath.endsWith('/keys') ? jwks : { issuer: process.env.ISSUER, jwks_uri: process.env.ISSUER + '/keys' };
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  };`;
  const fn = await sdkFunction(edge, 'issuer-docs', docs);
  const issuerApi = await deployApi(edge, [{ routeKey: '$default', target: fn }]);
  await sdkAllow(edge, 'issuer-docs', issuerApi.apiId);
  const issuer = issuerApi.base;
  await aws(edge, [
    'lambda',
    'update-function-configuration',
    '--function-name',
    'issuer-docs',
    '--environment',
    `Variables={ISSUER=${issuer}}`,
  ]);
  const own = (
    await aws(edge, [
      'apigatewayv2',
      'create-authorizer',
      '--api-id',
      apiId,
      '--name',
      'own',
      '--authorizer-type',
      'JWT',
      '--identity-source',
      '$request.header.Authorization',
      '--jwt-configuration',
      `Audience=own-client,Issuer=${issuer}`,
    ])
  ).AuthorizerId as string;
  const routes = (await aws(edge, ['apigatewayv2', 'get-routes', '--api-id', apiId])) as {
    Items: Array<{ RouteKey: string; Target: string }>;
  };
  const target = routes.Items.find((r) => r.RouteKey === 'GET /me')!.Target;
  const routeId = (
    await aws(edge, [
      'apigatewayv2',
      'create-route',
      '--api-id',
      apiId,
      '--route-key',
      'GET /own',
      '--target',
      target,
      '--authorization-type',
      'JWT',
      '--authorizer-id',
      own,
    ])
  ).RouteId as string;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sub: 'self', aud: 'own-client', iss: issuer, iat: now, exp: now + 600 })
    .setProtectedHeader({ alg: 'RS256', kid: 'own-1' })
    .sign(ownKey.privateKey);
  const r = await curl(`${base}/own`, token);
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).requestContext.authorizer.jwt.claims.sub, 'self');
  await aws(edge, ['apigatewayv2', 'delete-route', '--api-id', apiId, '--route-id', routeId]);
});
