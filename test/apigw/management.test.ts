import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateApiCommand,
  CreateDeploymentCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  CreateStageCommand,
  ExportApiCommand,
  GetApisCommand,
  GetDeploymentsCommand,
  GetRoutesCommand,
  GetStageCommand,
  ImportApiCommand,
  ReimportApiCommand,
  UpdateRouteCommand,
} from '@aws-sdk/client-apigatewayv2';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { clients, startUpstream } from './helpers.ts';

let edge: TestEdge;
before(async () => {
  edge = await startTestEdge();
});
after(async () => {
  await edge.close();
});

const IMPORT_YAML = `openapi: 3.0.1
info: {title: My Lambda API, version: v1.0}
x-amazon-apigateway-cors:
  allowOrigins: ["https://app.example"]
paths:
  /hello:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        payloadFormatVersion: 2.0
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:\${AWS::AccountId}:function:hello/invocations
        connectionType: INTERNET
  /pets/{id}:
    get:
      x-amazon-apigateway-integration:
        $ref: '#/components/x-amazon-apigateway-integrations/backend'
    delete:
      x-amazon-apigateway-integration:
        $ref: '#/components/x-amazon-apigateway-integrations/backend'
components:
  x-amazon-apigateway-integrations:
    backend:
      type: http_proxy
      httpMethod: ANY
      uri: http://backend.example/pets/{id}
      payloadFormatVersion: "1.0"
`;

test('ImportApi creates routes and shared integrations from OpenAPI YAML; ExportApi gives them back; ReimportApi replaces them', async () => {
  const { apigw } = clients(edge);
  const api = await apigw.send(new ImportApiCommand({ Body: IMPORT_YAML }));
  assert.equal(api.Name, 'My Lambda API');
  assert.equal(api.Version, 'v1.0');
  assert.equal(api.ProtocolType, 'HTTP');
  assert.deepEqual(api.CorsConfiguration?.AllowOrigins, ['https://app.example']);
  const routes = (await apigw.send(new GetRoutesCommand({ ApiId: api.ApiId }))).Items!;
  assert.deepEqual(routes.map((r) => r.RouteKey).sort(), ['ANY /hello', 'DELETE /pets/{id}', 'GET /pets/{id}']);
  const pets = routes.filter((r) => r.RouteKey!.includes('pets'));
  assert.equal(pets[0].Target, pets[1].Target, 'the $ref integration is shared');

  const exported = await apigw.send(
    new ExportApiCommand({ ApiId: api.ApiId, Specification: 'OAS30', OutputType: 'JSON' }),
  );
  const doc = JSON.parse(Buffer.from(exported.body!).toString());
  assert.equal(doc.openapi, '3.0.1');
  assert.equal(
    doc.paths['/hello']['x-amazon-apigateway-any-method']['x-amazon-apigateway-integration'].type,
    'aws_proxy',
  );
  assert.match(
    doc.paths['/hello']['x-amazon-apigateway-any-method']['x-amazon-apigateway-integration'].uri,
    /:000000000000:function:hello\//,
  );
  assert.equal(doc.paths['/pets/{id}'].get['x-amazon-apigateway-integration'].uri, 'http://backend.example/pets/{id}');

  const again = await apigw.send(
    new ReimportApiCommand({
      ApiId: api.ApiId,
      Body: JSON.stringify({ ...doc, paths: { '/only': doc.paths['/hello'] } }),
    }),
  );
  assert.equal(again.ApiId, api.ApiId);
  const after = (await apigw.send(new GetRoutesCommand({ ApiId: api.ApiId }))).Items!;
  assert.deepEqual(
    after.map((r) => r.RouteKey),
    ['ANY /only'],
  );

  await assert.rejects(
    apigw.send(new ImportApiCommand({ Body: '{"swagger":"2.0","info":{"title":"x"}}' })),
    (err: Error) => err.name === 'BadRequestException' && /Swagger 2.0/.test(err.message),
  );
  await assert.rejects(
    apigw.send(new ImportApiCommand({ Body: 'openapi: [' })),
    (err: Error) => err.name === 'BadRequestException',
  );
  const halfBad = {
    openapi: '3.0.1',
    info: { title: 'x' },
    paths: {
      '/ok': doc.paths['/hello'],
      '/bad': { get: { 'x-amazon-apigateway-integration': { type: 'http_proxy', uri: 'not a url' } } },
    },
  };
  await assert.rejects(
    apigw.send(new ImportApiCommand({ Body: JSON.stringify(halfBad) })),
    /Invalid integrationUri 'not a url'/,
  );
  const badTimeout = { type: 'http_proxy', uri: 'https://example.com', timeoutInMillis: 'soon' };
  const wrongType = { ...halfBad, paths: { '/bad': { get: { 'x-amazon-apigateway-integration': badTimeout } } } };
  await assert.rejects(
    apigw.send(new ImportApiCommand({ Body: JSON.stringify(wrongType) })),
    (err: Error) =>
      err.name === 'BadRequestException' && /timeoutInMillis in the integration of GET \/bad/.test(err.message),
  );
  const count = (await apigw.send(new GetApisCommand({}))).Items!.filter((a) => a.Name === 'x').length;
  assert.equal(count, 0, 'a failed import creates nothing');
});

test('GetApis pages with maxResults/nextToken and following nextToken visits every API once', async () => {
  const { apigw } = clients(edge);
  const created = [];
  for (let i = 0; i < 5; i++)
    created.push((await apigw.send(new CreateApiCommand({ Name: `page-${i}`, ProtocolType: 'HTTP' }))).ApiId);
  const first = await apigw.send(new GetApisCommand({ MaxResults: '2' }));
  assert.equal(first.Items!.length, 2);
  assert.ok(first.NextToken);
  const seen: string[] = [];
  let token: string | undefined;
  do {
    const page = await apigw.send(new GetApisCommand({ MaxResults: '2', NextToken: token }));
    assert.ok(page.Items!.length <= 2);
    seen.push(...page.Items!.map((a) => a.ApiId!));
    token = page.NextToken;
  } while (token);
  for (const id of created) assert.equal(seen.filter((s) => s === id).length, 1);
  await assert.rejects(
    apigw.send(new CreateApiCommand({ Name: 'ws', ProtocolType: 'WEBSOCKET' })),
    /WebSocket APIs are not supported/,
  );
  await assert.rejects(
    apigw.send(
      new CreateApiCommand({
        Name: 'c',
        ProtocolType: 'HTTP',
        CorsConfiguration: { AllowOrigins: ['*'], AllowCredentials: true },
      }),
    ),
    /allow-credentials is not supported if 'allow-origin' is \*/,
  );
});

test('without auto-deploy, changes go live only with CreateDeployment', async () => {
  const { apigw } = clients(edge);
  const upstream = await startUpstream((_req, res) => res.end('up'));
  try {
    const api = await apigw.send(new CreateApiCommand({ Name: 'manual', ProtocolType: 'HTTP' }));
    const integ = await apigw.send(
      new CreateIntegrationCommand({
        ApiId: api.ApiId,
        IntegrationType: 'HTTP_PROXY',
        IntegrationMethod: 'ANY',
        IntegrationUri: upstream.url,
        PayloadFormatVersion: '1.0',
      }),
    );
    const route = await apigw.send(
      new CreateRouteCommand({ ApiId: api.ApiId, RouteKey: 'GET /a', Target: `integrations/${integ.IntegrationId}` }),
    );
    await apigw.send(new CreateStageCommand({ ApiId: api.ApiId, StageName: 'live' }));
    const url = `${edge.url}/_aws/execute-api/${api.ApiId}/live`;
    assert.equal((await fetch(`${url}/a`)).status, 404, 'nothing deployed yet');
    const deployment = await apigw.send(new CreateDeploymentCommand({ ApiId: api.ApiId, StageName: 'live' }));
    assert.match(deployment.DeploymentId!, /^[a-z0-9]{6}$/);
    assert.equal(deployment.DeploymentStatus, 'DEPLOYED');
    assert.equal(
      (await apigw.send(new GetStageCommand({ ApiId: api.ApiId, StageName: 'live' }))).DeploymentId,
      deployment.DeploymentId,
    );
    assert.equal(await (await fetch(`${url}/a`)).text(), 'up');
    await apigw.send(new UpdateRouteCommand({ ApiId: api.ApiId, RouteId: route.RouteId, RouteKey: 'GET /b' }));
    assert.equal((await fetch(`${url}/b`)).status, 404, 'the change is not live before a deployment');
    await apigw.send(new CreateDeploymentCommand({ ApiId: api.ApiId, StageName: 'live' }));
    assert.equal((await fetch(`${url}/b`)).status, 200);
    assert.equal((await apigw.send(new GetDeploymentsCommand({ ApiId: api.ApiId }))).Items!.length, 2);
  } finally {
    await upstream.close();
  }
});

test('an unsigned or wrongly signed management call is refused with a JSON-service auth error', async () => {
  const unsigned = await fetch(`${edge.url}/v2/apis`);
  assert.notEqual(unsigned.status, 200);
  const { ApiGatewayV2Client } = await import('@aws-sdk/client-apigatewayv2');
  const wrong = new ApiGatewayV2Client({
    region: edge.region,
    endpoint: edge.url,
    credentials: { accessKeyId: edge.credentials.accessKeyId, secretAccessKey: 'wrong' },
  });
  await assert.rejects(wrong.send(new GetApisCommand({})), (err: Error) => err.name === 'InvalidSignatureException');
});
