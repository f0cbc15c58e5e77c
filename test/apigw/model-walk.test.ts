// Every operation of botocore's apigatewayv2 model is implemented or answers 501 NotImplemented in rest-json,
// naming it; an unimplemented operation aimed at a real API changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GetApiCommand,
  GetDeploymentsCommand,
  GetIntegrationsCommand,
  GetRoutesCommand,
  GetStagesCommand,
} from '@aws-sdk/client-apigatewayv2';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { isNotImplemented, loadServiceModel, sendSigned, walkOperations } from '../helpers/botocore-walk.ts';
import { awsFails, clients, deployApi, startUpstream } from './helpers.ts';

/** The operations the edge implements; the walk proves every other one is 501. */
const IMPLEMENTED = new Set([
  'CreateApi',
  'GetApis',
  'ImportApi',
  'GetApi',
  'UpdateApi',
  'ReimportApi',
  'DeleteApi',
  'DeleteCorsConfiguration',
  'ExportApi',
  'CreateIntegration',
  'GetIntegrations',
  'GetIntegration',
  'UpdateIntegration',
  'DeleteIntegration',
  'CreateRoute',
  'GetRoutes',
  'GetRoute',
  'UpdateRoute',
  'DeleteRoute',
  'CreateStage',
  'GetStages',
  'GetStage',
  'UpdateStage',
  'DeleteStage',
  'DeleteAccessLogSettings',
  'DeleteRouteSettings',
  'CreateDeployment',
  'GetDeployments',
  'GetDeployment',
  'UpdateDeployment',
  'DeleteDeployment',
  'TagResource',
  'UntagResource',
  'GetTags',
  'CreateDomainName',
  'GetDomainNames',
  'GetDomainName',
  'UpdateDomainName',
  'DeleteDomainName',
  'CreateApiMapping',
  'GetApiMappings',
  'GetApiMapping',
  'UpdateApiMapping',
  'DeleteApiMapping',
  'CreateVpcLink',
  'GetVpcLinks',
  'GetVpcLink',
  'UpdateVpcLink',
  'DeleteVpcLink',
  'CreateModel',
  'GetModels',
  'GetModel',
  'UpdateModel',
  'DeleteModel',
  'GetModelTemplate',
  'CreateAuthorizer',
  'GetAuthorizers',
  'GetAuthorizer',
  'UpdateAuthorizer',
  'DeleteAuthorizer',
  'ResetAuthorizersCache',
]);

let edge: TestEdge;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
before(async () => {
  edge = await startTestEdge();
  upstream = await startUpstream();
});
after(async () => {
  await upstream.close();
  await edge.close();
});

/** Everything the management API says about an API. */
async function snapshot(apiId: string) {
  const { apigw } = clients(edge);
  const strip = <T extends { $metadata?: unknown }>({ $metadata: _m, ...rest }: T) => rest;
  return {
    api: strip(await apigw.send(new GetApiCommand({ ApiId: apiId }))),
    routes: strip(await apigw.send(new GetRoutesCommand({ ApiId: apiId }))),
    integrations: strip(await apigw.send(new GetIntegrationsCommand({ ApiId: apiId }))),
    stages: strip(await apigw.send(new GetStagesCommand({ ApiId: apiId }))),
    deployments: strip(await apigw.send(new GetDeploymentsCommand({ ApiId: apiId }))),
  };
}

test('apigatewayv2: every operation of the model is implemented or 501 NotImplemented naming it; nothing changes the API', async () => {
  const { apiId, apigw } = await deployApi(edge, [{ routeKey: 'GET /pets/{id}', target: upstream.url }], {
    stageName: 'prod',
  });
  const [route] = (await apigw.send(new GetRoutesCommand({ ApiId: apiId }))).Items!;
  const [deployment] = (await apigw.send(new GetDeploymentsCommand({ ApiId: apiId }))).Items!;
  const before = await snapshot(apiId);
  const real = {
    apiId,
    routeId: route.RouteId!,
    integrationId: route.Target!.replace('integrations/', ''),
    stageName: 'prod',
    deploymentId: deployment.DeploymentId!,
    'resource-arn': `arn:aws:apigateway:${edge.region}::/apis/${apiId}`,
  };
  const model = loadServiceModel('apigatewayv2');
  assert.equal(model.operations.length, 103);
  // Unimplemented operations aim at the real API (a DELETE that fell through would delete it); implemented ones at
  // placeholders, so that they answer without changing anything.
  const answers = await walkOperations(edge, model, model.operations, (op) => (IMPLEMENTED.has(op.name) ? {} : real));
  for (const a of answers) {
    const where = `${a.operation}: ${a.request.method} ${a.request.path} -> ${a.status} ${a.body.slice(0, 200)}`;
    if (IMPLEMENTED.has(a.operation)) {
      assert.ok(a.status < 500 && !isNotImplemented(a), where);
      assert.doesNotMatch(a.error?.message ?? '', /No apigatewayv2 operation matches/, where);
      continue;
    }
    assert.ok(isNotImplemented(a), where);
    assert.match(a.contentType, /^application\/json/, where);
    assert.equal(
      a.error!.message,
      `The apigatewayv2 operation ${a.operation} is not implemented by the local edge.`,
      where,
    );
  }
  assert.equal(answers.filter((a) => !IMPLEMENTED.has(a.operation)).length, 103 - IMPLEMENTED.size);
  assert.ok(IMPLEMENTED.size >= 50, `${IMPLEMENTED.size} operations implemented`);
  assert.deepEqual(await snapshot(apiId), before);
});

test('apigatewayv2: the aws CLI reads NotImplemented (botocore rest-json parser), and the API is still there', async () => {
  const { apiId } = await deployApi(edge, [{ routeKey: 'GET /a', target: upstream.url }]);
  const responses = await awsFails(edge, ['apigatewayv2', 'get-route-responses', '--api-id', apiId, '--route-id', 'a']);
  assert.match(
    responses.stderr,
    /\(NotImplemented\) when calling the GetRouteResponses operation: The apigatewayv2 operation GetRouteResponses/,
  );
  const portal = await awsFails(edge, ['apigatewayv2', 'delete-portal', '--portal-id', 'abc123']);
  assert.match(portal.stderr, /\(NotImplemented\) when calling the DeletePortal operation/);
  const { apigw } = clients(edge);
  assert.equal((await apigw.send(new GetApiCommand({ ApiId: apiId }))).ApiId, apiId);
});

test('apigatewayv2: a path of no operation is 404 NotFoundException; a bad % escape in a path is 400 BadRequestException', async () => {
  const model = loadServiceModel('apigatewayv2');
  const cases: Array<[string, string, number, string]> = [
    ['GET', '/v2/nothing', 404, 'NotFoundException'],
    ['PUT', '/v2/apis/abc/routes', 404, 'NotFoundException'],
    ['GET', '/v2/apis/%E0%A4%A', 400, 'BadRequestException'],
    ['DELETE', '/v2/apis/abc/routes/%zz', 400, 'BadRequestException'],
  ];
  for (const [method, path, status, code] of cases) {
    const res = await sendSigned(edge, model, { method, path, headers: {}, body: '' });
    assert.equal(res.status, status, `${method} ${path}`);
    assert.equal(res.headers.get('x-amzn-errortype'), code, `${method} ${path}`);
    assert.equal(typeof ((await res.json()) as { message?: unknown }).message, 'string');
  }
});
