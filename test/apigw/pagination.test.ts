// GetRoutes, GetIntegrations, GetStages and GetDeployments page with maxResults/nextToken; a token the list did not
// make is a BadRequestException, never page 1. Through the SDK and the aws CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateRouteCommand,
  CreateStageCommand,
  GetDeploymentsCommand,
  GetIntegrationsCommand,
  GetRoutesCommand,
  GetStagesCommand,
  type ApiGatewayV2Client,
} from '@aws-sdk/client-apigatewayv2';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { aws, awsFails, deployApi } from './helpers.ts';

let edge: TestEdge;
before(async () => {
  edge = await startTestEdge();
});
after(async () => {
  await edge.close();
});

interface Lister {
  command: string;
  list(
    apigw: ApiGatewayV2Client,
    apiId: string,
    maxResults?: string,
    nextToken?: string,
  ): Promise<{ ids: string[]; next?: string }>;
}

const LISTS: Lister[] = [
  {
    command: 'get-routes',
    async list(apigw, ApiId, MaxResults, NextToken) {
      const page = await apigw.send(new GetRoutesCommand({ ApiId, MaxResults, NextToken }));
      return { ids: page.Items!.map((i) => i.RouteId!), next: page.NextToken };
    },
  },
  {
    command: 'get-integrations',
    async list(apigw, ApiId, MaxResults, NextToken) {
      const page = await apigw.send(new GetIntegrationsCommand({ ApiId, MaxResults, NextToken }));
      return { ids: page.Items!.map((i) => i.IntegrationId!), next: page.NextToken };
    },
  },
  {
    command: 'get-stages',
    async list(apigw, ApiId, MaxResults, NextToken) {
      const page = await apigw.send(new GetStagesCommand({ ApiId, MaxResults, NextToken }));
      return { ids: page.Items!.map((i) => i.StageName!), next: page.NextToken };
    },
  },
  {
    command: 'get-deployments',
    async list(apigw, ApiId, MaxResults, NextToken) {
      const page = await apigw.send(new GetDeploymentsCommand({ ApiId, MaxResults, NextToken }));
      return { ids: page.Items!.map((i) => i.DeploymentId!), next: page.NextToken };
    },
  },
];

/** An API with three routes and integrations, three stages and several deployments. */
async function busyApi() {
  const url = 'http://127.0.0.1:9';
  const { apiId, apigw } = await deployApi(edge, [
    { routeKey: 'GET /a', target: url },
    { routeKey: 'GET /b', target: url },
    { routeKey: 'GET /c', target: url },
  ]);
  await apigw.send(new CreateStageCommand({ ApiId: apiId, StageName: 'beta', AutoDeploy: true }));
  await apigw.send(new CreateStageCommand({ ApiId: apiId, StageName: 'prod', AutoDeploy: true }));
  await apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'GET /d' }));
  return { apiId, apigw };
}

async function rejectionName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).name;
  }
  assert.fail('expected the call to fail');
}

test('each child list pages with MaxResults and NextToken, visiting every item once, in the order of the whole list', async () => {
  const { apiId, apigw } = await busyApi();
  for (const lister of LISTS) {
    const whole = await lister.list(apigw, apiId);
    assert.equal(whole.next, undefined, `${lister.command}: without maxResults the whole list comes at once`);
    assert.ok(whole.ids.length >= 3, lister.command);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await lister.list(apigw, apiId, '1', token);
      assert.ok(page.ids.length <= 1, lister.command);
      seen.push(...page.ids);
      token = page.next;
    } while (token);
    assert.deepEqual(seen, whole.ids, lister.command);
    const two = await lister.list(apigw, apiId, '2');
    assert.deepEqual(two.ids, whole.ids.slice(0, 2), lister.command);
    assert.ok(two.next, lister.command);
  }
});

test('a bad nextToken, another list’s token or a bad maxResults is BadRequestException, never page 1', async () => {
  const { apiId, apigw } = await busyApi();
  const routeToken = (await LISTS[0].list(apigw, apiId, '1')).next!;
  for (const lister of LISTS) {
    const tokens = ['bogus', `${routeToken}x`, routeToken.slice(0, -1)];
    if (lister.command !== 'get-routes') tokens.push(routeToken);
    for (const token of tokens) {
      assert.equal(
        await rejectionName(lister.list(apigw, apiId, '1', token)),
        'BadRequestException',
        `${lister.command} ${token}`,
      );
    }
    for (const size of ['0', '-1', 'abc', '1.5']) {
      assert.equal(
        await rejectionName(lister.list(apigw, apiId, size)),
        'BadRequestException',
        `${lister.command} ${size}`,
      );
    }
  }
  assert.equal(await rejectionName(LISTS[0].list(apigw, 'nope000000', '1')), 'NotFoundException');
});

test('aws CLI: get-routes --max-results 1 answers one route and a NextToken; --page-size walks them all; a bad --next-token fails', async () => {
  const { apiId, apigw } = await busyApi();
  const whole = await LISTS[0].list(apigw, apiId);
  const first = await aws(edge, ['apigatewayv2', 'get-routes', '--api-id', apiId, '--max-results', '1']);
  assert.equal(first.Items.length, 1);
  assert.equal(typeof first.NextToken, 'string');
  const second = await aws(edge, [
    'apigatewayv2',
    'get-routes',
    '--api-id',
    apiId,
    '--max-results',
    '1',
    '--next-token',
    first.NextToken,
  ]);
  assert.deepEqual([first.Items[0].RouteId, second.Items[0].RouteId], whole.ids.slice(0, 2));
  const walked = await aws(edge, ['apigatewayv2', 'get-routes', '--api-id', apiId, '--page-size', '1']);
  assert.deepEqual(
    (walked.Items as Array<{ RouteId: string }>).map((r) => r.RouteId),
    whole.ids,
  );
  const bad = await awsFails(edge, ['apigatewayv2', 'get-routes', '--api-id', apiId, '--next-token', 'bogus']);
  assert.match(bad.stderr, /\(BadRequestException\) when calling the GetRoutes operation: Invalid nextToken/);
  const zero = await awsFails(edge, ['apigatewayv2', 'get-stages', '--api-id', apiId, '--max-results', '0']);
  assert.match(zero.stderr, /\(BadRequestException\) when calling the GetStages operation/);
});
