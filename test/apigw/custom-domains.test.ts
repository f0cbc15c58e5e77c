// Custom domain names and API mappings: the management operations (aws CLI, SDK v3) and the data plane, reached
// with curl by Host, routed by the longest apiMappingKey prefix; everything survives a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateApiMappingCommand,
  CreateDomainNameCommand,
  DeleteApiCommand,
  DeleteApiMappingCommand,
  DeleteDomainNameCommand,
  GetApiMappingCommand,
  GetApiMappingsCommand,
  GetDomainNameCommand,
  GetDomainNamesCommand,
  UpdateApiMappingCommand,
  UpdateDomainNameCommand,
} from '@aws-sdk/client-apigatewayv2';
import { restartTestEdge, startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { aws, awsFails, clients, deployApi, ECHO_FUNCTION, sdkAllow, sdkFunction, startUpstream } from './helpers.ts';

const run = promisify(execFile);
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

/** curl to the edge with `Host: {host}:{port}`; answers the status and body. */
async function curl(e: TestEdge, host: string, path: string): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', [
    '-s',
    '-w',
    '\n%{http_code}',
    '-H',
    `Host: ${host}:${e.port}`,
    `${e.url}${path}`,
  ]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

test('aws CLI: create, get, update and delete domain names; duplicates and bad names are refused', async () => {
  const created = await aws(edge, [
    'apigatewayv2',
    'create-domain-name',
    '--domain-name',
    'Cli.DDN.localhost',
    '--domain-name-configurations',
    'CertificateArn=arn:aws:acm:us-east-1:000000000000:certificate/abc,EndpointType=REGIONAL',
  ]);
  assert.equal(created.DomainName, 'cli.ddn.localhost');
  assert.equal(created.DomainNameArn, `arn:aws:apigateway:${edge.region}::/domainnames/cli.ddn.localhost`);
  assert.equal(created.ApiMappingSelectionExpression, '$request.basepath');
  const [config] = created.DomainNameConfigurations;
  assert.equal(config.DomainNameStatus, 'AVAILABLE');
  assert.equal(config.EndpointType, 'REGIONAL');
  assert.equal(config.SecurityPolicy, 'TLS_1_2');
  assert.match(config.ApiGatewayDomainName, /^d-[a-z0-9]{10}\.execute-api\./);

  const got = await aws(edge, ['apigatewayv2', 'get-domain-name', '--domain-name', 'cli.ddn.localhost']);
  assert.deepEqual(got, created);
  const updated = await aws(edge, [
    'apigatewayv2',
    'update-domain-name',
    '--domain-name',
    'cli.ddn.localhost',
    '--domain-name-configurations',
    'SecurityPolicy=TLS_1_0',
  ]);
  assert.equal(updated.DomainNameConfigurations[0].SecurityPolicy, 'TLS_1_0');
  assert.equal(updated.DomainNameConfigurations[0].CertificateArn, config.CertificateArn);
  assert.equal(updated.DomainNameConfigurations[0].ApiGatewayDomainName, config.ApiGatewayDomainName);

  const dup = await awsFails(edge, ['apigatewayv2', 'create-domain-name', '--domain-name', 'cli.ddn.localhost']);
  assert.match(dup.stderr, /ConflictException.*The domain name you provided already exists/);
  const bad = await awsFails(edge, ['apigatewayv2', 'create-domain-name', '--domain-name', 'no_underscores.example']);
  assert.match(bad.stderr, /BadRequestException/);
  const listed = (await aws(edge, ['apigatewayv2', 'get-domain-names'])) as { Items: Array<{ DomainName: string }> };
  assert.ok(listed.Items.some((d) => d.DomainName === 'cli.ddn.localhost'));

  await aws(edge, ['apigatewayv2', 'delete-domain-name', '--domain-name', 'cli.ddn.localhost']);
  const gone = await awsFails(edge, ['apigatewayv2', 'get-domain-name', '--domain-name', 'cli.ddn.localhost']);
  assert.match(gone.stderr, /NotFoundException/);
  const again = await awsFails(edge, ['apigatewayv2', 'delete-domain-name', '--domain-name', 'cli.ddn.localhost']);
  assert.match(again.stderr, /NotFoundException/);
});

test('SDK v3: API mappings; key rules; a duplicate key is ConflictException; unknown stage or API', async () => {
  const { apigw } = clients(edge);
  const { apiId } = await deployApi(edge, [{ routeKey: 'GET /a', target: upstream.url }], { stageName: 'prod' });
  await apigw.send(new CreateDomainNameCommand({ DomainName: 'sdk.ddn.localhost' }));
  const root = await apigw.send(
    new CreateApiMappingCommand({ DomainName: 'sdk.ddn.localhost', ApiId: apiId, Stage: 'prod' }),
  );
  assert.equal(root.ApiMappingKey ?? '', '');
  const v1 = await apigw.send(
    new CreateApiMappingCommand({ DomainName: 'sdk.ddn.localhost', ApiId: apiId, Stage: 'prod', ApiMappingKey: 'v1' }),
  );
  assert.match(v1.ApiMappingId!, /^[a-z0-9]+$/);
  assert.deepEqual(
    (await apigw.send(new GetApiMappingCommand({ DomainName: 'sdk.ddn.localhost', ApiMappingId: v1.ApiMappingId })))
      .ApiMappingKey,
    'v1',
  );
  await assert.rejects(
    apigw.send(
      new CreateApiMappingCommand({
        DomainName: 'sdk.ddn.localhost',
        ApiId: apiId,
        Stage: 'prod',
        ApiMappingKey: 'v1',
      }),
    ),
    { name: 'ConflictException' },
  );
  for (const key of ['/v2', 'v2/', 'a b', 'v2//x']) {
    await assert.rejects(
      apigw.send(
        new CreateApiMappingCommand({
          DomainName: 'sdk.ddn.localhost',
          ApiId: apiId,
          Stage: 'prod',
          ApiMappingKey: key,
        }),
      ),
      { name: 'BadRequestException' },
      key,
    );
  }
  await assert.rejects(
    apigw.send(new CreateApiMappingCommand({ DomainName: 'sdk.ddn.localhost', ApiId: apiId, Stage: 'nope' })),
    { name: 'NotFoundException' },
  );
  await assert.rejects(
    apigw.send(new CreateApiMappingCommand({ DomainName: 'sdk.ddn.localhost', ApiId: 'zzzzzzzzzz', Stage: 'prod' })),
    { name: 'NotFoundException' },
  );
  await assert.rejects(
    apigw.send(new CreateApiMappingCommand({ DomainName: 'none.ddn.localhost', ApiId: apiId, Stage: 'prod' })),
    { name: 'NotFoundException' },
  );
  const updated = await apigw.send(
    new UpdateApiMappingCommand({
      DomainName: 'sdk.ddn.localhost',
      ApiMappingId: v1.ApiMappingId,
      ApiId: apiId,
      ApiMappingKey: 'v1/users',
    }),
  );
  assert.equal(updated.ApiMappingKey, 'v1/users');
  await assert.rejects(
    apigw.send(
      new UpdateApiMappingCommand({
        DomainName: 'sdk.ddn.localhost',
        ApiMappingId: v1.ApiMappingId,
        ApiId: apiId,
        ApiMappingKey: '',
      }),
    ),
    { name: 'ConflictException' },
  );
  const list = await apigw.send(new GetApiMappingsCommand({ DomainName: 'sdk.ddn.localhost' }));
  assert.deepEqual(list.Items!.map((m) => m.ApiMappingKey ?? '').sort(), ['', 'v1/users']);
  await apigw.send(new DeleteApiMappingCommand({ DomainName: 'sdk.ddn.localhost', ApiMappingId: v1.ApiMappingId }));
  await assert.rejects(
    apigw.send(new GetApiMappingCommand({ DomainName: 'sdk.ddn.localhost', ApiMappingId: v1.ApiMappingId })),
    { name: 'NotFoundException' },
  );
  await assert.rejects(apigw.send(new DeleteApiCommand({ ApiId: apiId })), {
    name: 'BadRequestException',
    message: `Deleting API ${apiId} failed. Please remove all API mappings for the API from your custom domain names.`,
  });
  const domain = await apigw.send(
    new UpdateDomainNameCommand({
      DomainName: 'sdk.ddn.localhost',
      DomainNameConfigurations: [{ EndpointType: 'REGIONAL' }],
    }),
  );
  assert.equal(domain.DomainName, 'sdk.ddn.localhost');
  assert.ok((await apigw.send(new GetDomainNamesCommand({}))).Items!.some((d) => d.DomainName === 'sdk.ddn.localhost'));
  await apigw.send(new DeleteDomainNameCommand({ DomainName: 'sdk.ddn.localhost' }));
  await assert.rejects(apigw.send(new GetDomainNameCommand({ DomainName: 'sdk.ddn.localhost' })), {
    name: 'NotFoundException',
  });
  await assert.rejects(apigw.send(new GetApiMappingsCommand({ DomainName: 'sdk.ddn.localhost' })), {
    name: 'NotFoundException',
  });
  // The domain's mappings went with it: the API can be deleted now.
  await apigw.send(new DeleteApiCommand({ ApiId: apiId }));
});

test('curl by Host: longest mapping key wins, stripped for routing; event names the domain; restarts', async () => {
  const { apigw } = clients(edge);
  const fn = await sdkFunction(edge, 'domain-echo', ECHO_FUNCTION);
  const root = await deployApi(edge, [{ routeKey: 'ANY /{proxy+}', target: upstream.url }], { stageName: 'live' });
  const users = await deployApi(edge, [{ routeKey: 'GET /{id}', target: fn }]);
  await sdkAllow(edge, 'domain-echo', users.apiId);
  await apigw.send(new CreateDomainNameCommand({ DomainName: 'api.ddn.localhost' }));
  await apigw.send(new CreateApiMappingCommand({ DomainName: 'api.ddn.localhost', ApiId: root.apiId, Stage: 'live' }));
  await apigw.send(
    new CreateApiMappingCommand({
      DomainName: 'api.ddn.localhost',
      ApiId: users.apiId,
      Stage: '$default',
      ApiMappingKey: 'v1/users',
    }),
  );

  const viaRoot = await curl(edge, 'api.ddn.localhost', '/v1/other?x=1');
  assert.equal(viaRoot.status, 200);
  assert.equal(upstream.received.at(-1)!.url, '/v1/other?x=1');

  const viaUsers = await curl(edge, 'API.ddn.localhost', '/v1/users/42');
  assert.equal(viaUsers.status, 200, viaUsers.body);
  const event = JSON.parse(viaUsers.body) as {
    rawPath: string;
    pathParameters: Record<string, string>;
    requestContext: { domainName: string; domainPrefix: string; apiId: string; stage: string };
  };
  assert.equal(event.pathParameters.id, '42');
  assert.equal(event.rawPath, '/v1/users/42');
  assert.equal(event.requestContext.domainName, 'api.ddn.localhost');
  assert.equal(event.requestContext.domainPrefix, 'api');
  assert.equal(event.requestContext.apiId, users.apiId);
  assert.equal(event.requestContext.stage, '$default');
  // `v1/usersx` is not under the `v1/users` key: the root mapping takes it.
  assert.equal((await curl(edge, 'api.ddn.localhost', '/v1/usersx')).status, 200);
  assert.equal(upstream.received.at(-1)!.url, '/v1/usersx');

  // A configured domain with no mapping for the path, and an unmapped domain: the gateway's 404.
  await apigw.send(new CreateDomainNameCommand({ DomainName: 'empty.ddn.localhost' }));
  const empty = await curl(edge, 'empty.ddn.localhost', '/anything');
  assert.deepEqual([empty.status, empty.body], [404, '{"message":"Not Found"}']);

  // --resolve reaches the same domain as a browser would.
  const { stdout } = await run('curl', [
    '-s',
    '--resolve',
    `api.ddn.localhost:${edge.port}:127.0.0.1`,
    `http://api.ddn.localhost:${edge.port}/v1/users/7`,
  ]);
  assert.equal((JSON.parse(stdout) as { pathParameters: { id: string } }).pathParameters.id, '7');

  edge = await restartTestEdge(edge);
  const restarted = await curl(edge, 'api.ddn.localhost', '/v1/users/9');
  assert.equal(restarted.status, 200, restarted.body);
  assert.equal((JSON.parse(restarted.body) as { pathParameters: { id: string } }).pathParameters.id, '9');
  const mappings = await aws(edge, ['apigatewayv2', 'get-api-mappings', '--domain-name', 'api.ddn.localhost']);
  assert.equal(mappings.Items.length, 2);
});
