import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { restartTestEdge, startTestEdge } from '../helpers/edge.ts';
import { allowApi, aws, awsFails, createFunction, ECHO_FUNCTION, startUpstream } from '../apigw/helpers.ts';

const run = promisify(execFile);

async function curl(args: string[]): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { stdout } = await run('curl', ['-sS', '-D', '-', ...args]);
  const split = stdout.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = stdout.slice(0, split).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(statusLine)![1]), headers, body: stdout.slice(split + 4) };
}

test("the platform's original aws CLI calls build an API that serves both integrations through curl", async () => {
  const edge = await startTestEdge();
  const upstream = await startUpstream();
  const upstream2 = await startUpstream((_req, res) => res.end('second'));
  try {
    const fnArn = await createFunction(edge, 'presign', ECHO_FUNCTION);
    const api = await aws(edge, ['apigatewayv2', 'create-api', '--name', 'ddn-api', '--protocol-type', 'HTTP']);
    assert.match(api.ApiId, /^[a-z0-9]{10}$/);
    assert.equal(api.ApiEndpoint, `${edge.url}/_aws/execute-api/${api.ApiId}`);
    assert.equal(api.RouteSelectionExpression, '$request.method $request.path');
    const apiId: string = api.ApiId;

    const lambdaIntegration = await aws(edge, [
      'apigatewayv2',
      'create-integration',
      '--api-id',
      apiId,
      '--integration-type',
      'AWS_PROXY',
      '--integration-uri',
      fnArn,
      '--payload-format-version',
      '2.0',
    ]);
    assert.match(lambdaIntegration.IntegrationId, /^[a-z0-9]{7}$/);
    assert.equal(lambdaIntegration.IntegrationMethod, 'POST');
    assert.equal(lambdaIntegration.TimeoutInMillis, 30000);
    const httpIntegration = await aws(edge, [
      'apigatewayv2',
      'create-integration',
      '--api-id',
      apiId,
      '--integration-type',
      'HTTP_PROXY',
      '--integration-method',
      'ANY',
      '--integration-uri',
      upstream.url,
      '--payload-format-version',
      '1.0',
    ]);
    for (const [key, integration] of [
      ['GET /presign', lambdaIntegration],
      ['POST /presign', lambdaIntegration],
      ['GET /ping', httpIntegration],
      ['POST /invocations', httpIntegration],
    ] as const) {
      const route = await aws(edge, [
        'apigatewayv2',
        'create-route',
        '--api-id',
        apiId,
        '--route-key',
        key,
        '--target',
        `integrations/${integration.IntegrationId}`,
      ]);
      assert.equal(route.RouteKey, key);
      assert.equal(route.AuthorizationType, 'NONE');
    }
    await allowApi(edge, 'presign', apiId);
    const stage = await aws(edge, [
      'apigatewayv2',
      'create-stage',
      '--api-id',
      apiId,
      '--stage-name',
      '$default',
      '--auto-deploy',
    ]);
    assert.equal(stage.AutoDeploy, true);
    assert.match(stage.LastDeploymentStatusMessage, /^Successfully deployed stage with deployment ID '[a-z0-9]{6}'$/);

    const found = await aws(edge, ['apigatewayv2', 'get-apis', '--query', "Items[?Name=='ddn-api'].ApiId"]);
    assert.deepEqual(found, [apiId]);

    const base = `${edge.url}/_aws/execute-api/${apiId}`;
    const presign = await curl([`${base}/presign?mode=upload&file=a.tif`]);
    assert.equal(presign.status, 200);
    const event = JSON.parse(presign.body);
    assert.equal(event.routeKey, 'GET /presign');
    assert.deepEqual(event.queryStringParameters, { mode: 'upload', file: 'a.tif' });
    assert.equal(presign.headers['apigw-requestid'], event.requestContext.requestId);

    const viaHost = await curl([
      '-H',
      `Host: ${apiId}.execute-api.localhost`,
      `${edge.url}/presign`,
      '-X',
      'POST',
      '-d',
      '{"a":1}',
      '-H',
      'content-type: application/json',
    ]);
    assert.equal(viaHost.status, 200);
    assert.equal(JSON.parse(viaHost.body).body, '{"a":1}');

    const ping = await curl([`${base}/ping`]);
    assert.equal(ping.status, 200);
    assert.deepEqual(JSON.parse(ping.body), { ok: true, path: '/ping' });
    const invocation = await curl([
      `${base}/invocations`,
      '-X',
      'POST',
      '-H',
      'content-type: application/json',
      '-d',
      '{"img_input_url":"s3://in/k"}',
    ]);
    assert.equal(invocation.status, 200);
    assert.equal(upstream.received.at(-1)!.body.toString(), '{"img_input_url":"s3://in/k"}');
    assert.equal(upstream.received.at(-1)!.method, 'POST');

    await aws(edge, [
      'apigatewayv2',
      'update-integration',
      '--api-id',
      apiId,
      '--integration-id',
      httpIntegration.IntegrationId,
      '--integration-uri',
      upstream2.url,
    ]);
    assert.equal((await curl([`${base}/ping`])).body, 'second');

    const missing = await curl([`${base}/nothing`]);
    assert.equal(missing.status, 404);
    assert.equal(missing.body, '{"message":"Not Found"}');

    await aws(edge, ['apigatewayv2', 'create-api', '--name', 'ddn-api', '--protocol-type', 'HTTP']);
    const ids: string[] = await aws(edge, ['apigatewayv2', 'get-apis', '--query', "Items[?Name=='ddn-api'].ApiId"]);
    assert.equal(ids.length, 2);
    for (const id of ids) await aws(edge, ['apigatewayv2', 'delete-api', '--api-id', id]);
    assert.deepEqual(await aws(edge, ['apigatewayv2', 'get-apis', '--query', "Items[?Name=='ddn-api'].ApiId"]), []);
    assert.equal((await curl([`${base}/ping`])).status, 404);
  } finally {
    await upstream.close();
    await upstream2.close();
    await edge.close();
  }
});

test('management errors reach the aws CLI with their AWS error codes, and state survives a restart', async () => {
  const edge = await startTestEdge();
  try {
    const api = await aws(edge, ['apigatewayv2', 'create-api', '--name', 'x', '--protocol-type', 'HTTP']);
    const integ = await aws(edge, [
      'apigatewayv2',
      'create-integration',
      '--api-id',
      api.ApiId,
      '--integration-type',
      'HTTP_PROXY',
      '--integration-method',
      'ANY',
      '--integration-uri',
      'http://127.0.0.1:9',
      '--payload-format-version',
      '1.0',
    ]);
    await aws(edge, [
      'apigatewayv2',
      'create-route',
      '--api-id',
      api.ApiId,
      '--route-key',
      'ANY /{proxy+}',
      '--target',
      `integrations/${integ.IntegrationId}`,
    ]);

    const dup = await awsFails(edge, [
      'apigatewayv2',
      'create-route',
      '--api-id',
      api.ApiId,
      '--route-key',
      'ANY /{proxy+}',
    ]);
    assert.match(dup.stderr, /ConflictException.*Route with key ANY \/\{proxy\+\} already exists for this API/);
    const bad = await awsFails(edge, [
      'apigatewayv2',
      'create-route',
      '--api-id',
      api.ApiId,
      '--route-key',
      'GET /events/',
    ]);
    assert.match(bad.stderr, /BadRequestException.*must not end with '\/'/);
    const target = await awsFails(edge, [
      'apigatewayv2',
      'create-route',
      '--api-id',
      api.ApiId,
      '--route-key',
      'GET /a',
      '--target',
      'integrations/zzzzzzz',
    ]);
    assert.match(target.stderr, /BadRequestException.*integration zzzzzzz does not exist/);
    const unknown = await awsFails(edge, ['apigatewayv2', 'get-api', '--api-id', 'nope000000']);
    assert.match(unknown.stderr, /NotFoundException.*Invalid API identifier specified 000000000000:nope000000/);
    await aws(edge, ['apigatewayv2', 'create-route', '--api-id', api.ApiId, '--route-key', 'GET /o/{orgId}/s']);
    const clash = await awsFails(edge, [
      'apigatewayv2',
      'create-route',
      '--api-id',
      api.ApiId,
      '--route-key',
      'GET /o/{org_id}/t',
    ]);
    assert.match(clash.stderr, /ConflictException.*conflicting variable on the same hierarchical level/);

    const again = await restartTestEdge(edge);
    try {
      const routes = (await aws(again, ['apigatewayv2', 'get-routes', '--api-id', api.ApiId])) as {
        Items: { RouteKey: string }[];
      };
      assert.deepEqual(routes.Items.map((r) => r.RouteKey).sort(), ['ANY /{proxy+}', 'GET /o/{orgId}/s']);
    } finally {
      await again.close();
    }
  } catch (err) {
    await edge.close().catch(() => {});
    throw err;
  }
});
