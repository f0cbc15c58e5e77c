import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { aws, awsFails } from './helpers.ts';

let edge: TestEdge;
let dir: string;

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:auth';
const integration = { type: 'http_proxy', httpMethod: 'ANY', uri: 'http://127.0.0.1:9/', payloadFormatVersion: '1.0' };

function documentWith(security: Record<string, unknown>) {
  return {
    openapi: '3.0.1',
    info: { title: 'secured', version: '1' },
    paths: {
      '/jwt': { get: { security: [{ users: ['read', 'admin'] }], 'x-amazon-apigateway-integration': integration } },
      '/lambda': { get: { security: [{ gate: [] }], 'x-amazon-apigateway-integration': integration } },
      '/iam': { get: { security: [{ sigv4: [] }], 'x-amazon-apigateway-integration': integration } },
      '/open': { get: { 'x-amazon-apigateway-integration': integration } },
    },
    components: {
      securitySchemes: {
        users: {
          type: 'oauth2',
          flows: {},
          'x-amazon-apigateway-authorizer': {
            type: 'jwt',
            identitySource: '$request.header.Authorization',
            jwtConfiguration: { issuer: 'https://issuer.example/pool', audience: ['client-1'] },
          },
        },
        gate: {
          type: 'apiKey',
          name: 'X-Token',
          in: 'header',
          'x-amazon-apigateway-authorizer': {
            type: 'request',
            identitySource: '$request.header.X-Token, $request.querystring.team',
            authorizerUri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${FN}/invocations`,
            authorizerPayloadFormatVersion: '2.0',
            authorizerResultTtlInSeconds: 60,
            enableSimpleResponses: true,
          },
        },
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' },
        ...security,
      },
    },
  };
}

before(async () => {
  edge = await startTestEdge();
  dir = mkdtempSync(path.join(tmpdir(), 'ddn-oas-'));
});

after(async () => {
  await edge?.close();
});

test('import-api creates authorizers from securitySchemes and sets each route authorization; export-api gives them back', async () => {
  const file = path.join(dir, 'api.json');
  writeFileSync(file, JSON.stringify(documentWith({})));
  const api = await aws(edge, ['apigatewayv2', 'import-api', '--body', `file://${file}`]);
  const authorizers = (await aws(edge, ['apigatewayv2', 'get-authorizers', '--api-id', api.ApiId])).Items as Array<
    Record<string, unknown>
  >;
  const byName = Object.fromEntries(authorizers.map((a) => [a.Name, a]));
  assert.deepEqual(byName.users!.JwtConfiguration, { Audience: ['client-1'], Issuer: 'https://issuer.example/pool' });
  assert.deepEqual(byName.gate!.IdentitySource, ['$request.header.X-Token', '$request.querystring.team']);
  assert.equal(byName.gate!.AuthorizerResultTtlInSeconds, 60);
  assert.equal(byName.gate!.EnableSimpleResponses, true);

  const routes = (await aws(edge, ['apigatewayv2', 'get-routes', '--api-id', api.ApiId])).Items as Array<
    Record<string, unknown>
  >;
  const route = (key: string) => routes.find((r) => r.RouteKey === key)!;
  assert.equal(route('GET /jwt').AuthorizationType, 'JWT');
  assert.equal(route('GET /jwt').AuthorizerId, byName.users!.AuthorizerId);
  assert.deepEqual(route('GET /jwt').AuthorizationScopes, ['read', 'admin']);
  assert.equal(route('GET /lambda').AuthorizationType, 'CUSTOM');
  assert.equal(route('GET /iam').AuthorizationType, 'AWS_IAM');
  assert.equal(route('GET /open').AuthorizationType, 'NONE');

  const out = path.join(dir, 'out.json');
  await aws(edge, [
    'apigatewayv2',
    'export-api',
    '--api-id',
    api.ApiId,
    '--specification',
    'OAS30',
    '--output-type',
    'JSON',
    out,
  ]);
  const exported = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(exported.paths['/jwt'].get.security, [{ users: ['read', 'admin'] }]);
  assert.deepEqual(exported.paths['/iam'].get.security, [{ sigv4: [] }]);
  assert.equal(exported.paths['/open'].get.security, undefined);
  const schemes = exported.components.securitySchemes;
  assert.deepEqual(schemes.users['x-amazon-apigateway-authorizer'], {
    identitySource: '$request.header.Authorization',
    jwtConfiguration: { audience: ['client-1'], issuer: 'https://issuer.example/pool' },
    type: 'jwt',
  });
  assert.equal(
    schemes.gate['x-amazon-apigateway-authorizer'].identitySource,
    '$request.header.X-Token,$request.querystring.team',
  );
  assert.equal(schemes.sigv4['x-amazon-apigateway-authtype'], 'awsSigv4');

  // The export imports again to the same authorizers and routes.
  const again = await aws(edge, ['apigatewayv2', 'import-api', '--body', `file://${out}`]);
  const reimported = (await aws(edge, ['apigatewayv2', 'get-routes', '--api-id', again.ApiId])).Items as Array<
    Record<string, unknown>
  >;
  assert.deepEqual(reimported.find((r) => r.RouteKey === 'GET /jwt')!.AuthorizationScopes, ['read', 'admin']);
});

test('an openIdConnect scheme takes its issuer from the discovery URL; a bad authorizer fails the whole import', async () => {
  const file = path.join(dir, 'oidc.json');
  const doc = documentWith({
    users: {
      type: 'openIdConnect',
      openIdConnectUrl: 'https://login.example/tenant/.well-known/openid-configuration',
      'x-amazon-apigateway-authorizer': {
        type: 'jwt',
        identitySource: '$request.header.Authorization',
        jwtConfiguration: { audience: ['a'] },
      },
    },
  });
  writeFileSync(file, JSON.stringify(doc));
  const api = await aws(edge, ['apigatewayv2', 'import-api', '--body', `file://${file}`]);
  const users = (
    (await aws(edge, ['apigatewayv2', 'get-authorizers', '--api-id', api.ApiId])).Items as Array<{
      Name: string;
      JwtConfiguration: { Issuer: string };
    }>
  ).find((a) => a.Name === 'users')!;
  assert.equal(users.JwtConfiguration.Issuer, 'https://login.example/tenant');

  const before = (await aws(edge, ['apigatewayv2', 'get-apis'])).Items.length as number;
  const bad = documentWith({
    gate: {
      type: 'apiKey',
      name: 'x',
      in: 'header',
      'x-amazon-apigateway-authorizer': { type: 'request', identitySource: '$request.header.x', authorizerUri: 'nope' },
    },
  });
  writeFileSync(file, JSON.stringify(bad));
  const failed = await awsFails(edge, ['apigatewayv2', 'import-api', '--body', `file://${file}`]);
  assert.match(failed.stderr, /BadRequestException/);
  assert.equal((await aws(edge, ['apigatewayv2', 'get-apis'])).Items.length, before);
});
