// VPC links (states, VPC_LINK HTTP_PROXY integrations relayed locally) and models (JSON Schema draft 4, templates).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import {
  CreateIntegrationCommand,
  CreateModelCommand,
  CreateRouteCommand,
  CreateVpcLinkCommand,
  DeleteIntegrationCommand,
  DeleteModelCommand,
  DeleteRouteCommand,
  DeleteVpcLinkCommand,
  GetModelCommand,
  GetModelsCommand,
  GetModelTemplateCommand,
  GetVpcLinkCommand,
  GetVpcLinksCommand,
  UpdateModelCommand,
  UpdateVpcLinkCommand,
} from '@aws-sdk/client-apigatewayv2';
import { restartTestEdge, startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { aws, awsFails, clients, deployApi, startUpstream } from './helpers.ts';

let edge: TestEdge;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
/** The edge's log lines. */
const log: Array<Record<string, unknown>> = [];
before(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) log.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  edge = await startTestEdge({}, pino({ level: 'info' }, sink));
  upstream = await startUpstream();
});
after(async () => {
  await upstream.close();
  await edge.close();
});

const PET_SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'Pet',
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    age: { type: 'integer', minimum: 0 },
    tags: { type: 'array', items: { type: 'string' } },
  },
});

test('VPC links: PENDING then AVAILABLE; get, list, rename; bad subnets refused; unknown ids NotFound', async () => {
  const { apigw } = clients(edge);
  const link = await aws(edge, [
    'apigatewayv2',
    'create-vpc-link',
    '--name',
    'private',
    '--subnet-ids',
    'subnet-0a1b',
    'subnet-0c2d',
    '--security-group-ids',
    'sg-01',
    '--tags',
    'team=core',
  ]);
  assert.equal(link.VpcLinkStatus, 'PENDING');
  assert.equal(link.VpcLinkVersion, 'V2');
  assert.deepEqual(link.SubnetIds, ['subnet-0a1b', 'subnet-0c2d']);
  assert.deepEqual(link.Tags, { team: 'core' });
  let status = link.VpcLinkStatus as string | undefined;
  while (status === 'PENDING') {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = (await apigw.send(new GetVpcLinkCommand({ VpcLinkId: link.VpcLinkId }))).VpcLinkStatus;
  }
  assert.equal(status, 'AVAILABLE');
  const renamed = await apigw.send(new UpdateVpcLinkCommand({ VpcLinkId: link.VpcLinkId, Name: 'renamed' }));
  assert.equal(renamed.Name, 'renamed');
  assert.equal(renamed.VpcLinkStatusMessage, 'VPC link is ready to route traffic');
  const listed = await apigw.send(new GetVpcLinksCommand({}));
  assert.ok(listed.Items!.some((l) => l.VpcLinkId === link.VpcLinkId && l.Name === 'renamed'));

  const bad = await awsFails(edge, ['apigatewayv2', 'create-vpc-link', '--name', 'x', '--subnet-ids', 'not-a-subnet']);
  assert.match(bad.stderr, /BadRequestException/);
  await assert.rejects(apigw.send(new GetVpcLinkCommand({ VpcLinkId: 'zzzzzz' })), { name: 'NotFoundException' });
  await assert.rejects(apigw.send(new UpdateVpcLinkCommand({ VpcLinkId: 'zzzzzz', Name: 'x' })), {
    name: 'NotFoundException',
  });
  const deleted = await apigw.send(new DeleteVpcLinkCommand({ VpcLinkId: link.VpcLinkId }));
  assert.equal(deleted.$metadata.httpStatusCode, 202);
  await assert.rejects(apigw.send(new DeleteVpcLinkCommand({ VpcLinkId: link.VpcLinkId })), {
    name: 'NotFoundException',
  });
});

test('HTTP_PROXY through a VPC link relays to its URI and logs it; a link in use cannot be deleted', async () => {
  const { apigw } = clients(edge);
  const link = await apigw.send(new CreateVpcLinkCommand({ Name: 'l', SubnetIds: ['subnet-01'] }));
  const { apiId, base } = await deployApi(edge, []);
  const integration = await apigw.send(
    new CreateIntegrationCommand({
      ApiId: apiId,
      IntegrationType: 'HTTP_PROXY',
      IntegrationMethod: 'ANY',
      IntegrationUri: `${upstream.url}/private`,
      PayloadFormatVersion: '1.0',
      ConnectionType: 'VPC_LINK',
      ConnectionId: link.VpcLinkId,
    }),
  );
  assert.equal(integration.ConnectionType, 'VPC_LINK');
  assert.equal(integration.ConnectionId, link.VpcLinkId);
  const route = await apigw.send(
    new CreateRouteCommand({
      ApiId: apiId,
      RouteKey: 'GET /inside',
      Target: `integrations/${integration.IntegrationId}`,
    }),
  );
  const res = await fetch(`${base}/inside`);
  assert.equal(res.status, 200);
  assert.equal(upstream.received.at(-1)!.url, '/private');
  const relayed = log.find((l) => l.vpcLinkId === link.VpcLinkId);
  assert.ok(relayed, 'the relay through the link is logged');
  assert.equal(
    relayed.msg,
    `HTTP_PROXY through VPC link ${link.VpcLinkId}: relayed locally to ${upstream.url}/private`,
  );

  const inUse = await awsFails(edge, ['apigatewayv2', 'delete-vpc-link', '--vpc-link-id', link.VpcLinkId!]);
  assert.match(inUse.stderr, /BadRequestException.*is referenced in/);
  await assert.rejects(
    apigw.send(
      new CreateIntegrationCommand({
        ApiId: apiId,
        IntegrationType: 'HTTP_PROXY',
        IntegrationMethod: 'ANY',
        IntegrationUri: upstream.url,
        PayloadFormatVersion: '1.0',
        ConnectionType: 'VPC_LINK',
        ConnectionId: 'zzzzzz',
      }),
    ),
    { name: 'BadRequestException' },
  );
  await assert.rejects(
    apigw.send(
      new CreateIntegrationCommand({
        ApiId: apiId,
        IntegrationType: 'HTTP_PROXY',
        IntegrationMethod: 'ANY',
        IntegrationUri: upstream.url,
        PayloadFormatVersion: '1.0',
        ConnectionType: 'VPC_LINK',
      }),
    ),
    { name: 'BadRequestException' },
  );
  await apigw.send(new DeleteRouteCommand({ ApiId: apiId, RouteId: route.RouteId }));
  await apigw.send(new DeleteIntegrationCommand({ ApiId: apiId, IntegrationId: integration.IntegrationId }));
  await apigw.send(new DeleteVpcLinkCommand({ VpcLinkId: link.VpcLinkId }));
});

test('models: CRUD and template; invalid schemas and names refused; requests are not validated', async () => {
  const { apigw } = clients(edge);
  const { apiId, base } = await deployApi(edge, [{ routeKey: 'POST /pets', target: upstream.url }]);
  const created = await aws(edge, [
    'apigatewayv2',
    'create-model',
    '--api-id',
    apiId,
    '--name',
    'Pet',
    '--content-type',
    'application/json',
    '--schema',
    PET_SCHEMA,
  ]);
  assert.match(created.ModelId, /^[a-z0-9]+$/);
  assert.equal(created.Schema, PET_SCHEMA);
  assert.deepEqual(
    (await apigw.send(new GetModelCommand({ ApiId: apiId, ModelId: created.ModelId }))).Schema,
    PET_SCHEMA,
  );
  const template = await apigw.send(new GetModelTemplateCommand({ ApiId: apiId, ModelId: created.ModelId }));
  assert.match(template.Value!, /^#set\(\$inputRoot = \$input\.path\('\$'\)\)/);
  assert.match(template.Value!, /"name" : "\$inputRoot\.name"/);
  assert.match(template.Value!, /#foreach\(/);

  const invalid = [
    'not json',
    '[]',
    JSON.stringify({ type: 'thing' }),
    JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }),
    JSON.stringify({ type: 'object', properties: { a: { type: 'string', minLength: -1 } } }),
    JSON.stringify({ type: 'object', required: [] }),
    JSON.stringify({ type: 'string', pattern: '(' }),
  ];
  for (const schema of invalid) {
    await assert.rejects(
      apigw.send(new CreateModelCommand({ ApiId: apiId, Name: 'Bad', Schema: schema })),
      {
        name: 'BadRequestException',
        message: /^Invalid model specified/,
      },
      schema,
    );
  }
  const badName = await awsFails(edge, [
    'apigatewayv2',
    'create-model',
    '--api-id',
    apiId,
    '--name',
    'a-b',
    '--schema',
    '{}',
  ]);
  assert.match(badName.stderr, /BadRequestException/);
  const dup = await awsFails(edge, [
    'apigatewayv2',
    'create-model',
    '--api-id',
    apiId,
    '--name',
    'Pet',
    '--schema',
    '{}',
  ]);
  assert.match(dup.stderr, /ConflictException/);
  await assert.rejects(
    apigw.send(new UpdateModelCommand({ ApiId: apiId, ModelId: created.ModelId, Schema: '{"type":1}' })),
    {
      name: 'BadRequestException',
    },
  );
  const updated = await apigw.send(
    new UpdateModelCommand({ ApiId: apiId, ModelId: created.ModelId, Description: 'a pet', Name: 'Animal' }),
  );
  assert.deepEqual([updated.Name, updated.Description, updated.Schema], ['Animal', 'a pet', PET_SCHEMA]);
  assert.equal((await apigw.send(new GetModelsCommand({ ApiId: apiId }))).Items!.length, 1);

  // HTTP APIs do not validate request bodies against models.
  const res = await fetch(`${base}/pets`, {
    method: 'POST',
    body: '{"age":"old"}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.status, 200);

  await apigw.send(new DeleteModelCommand({ ApiId: apiId, ModelId: created.ModelId }));
  await assert.rejects(apigw.send(new GetModelCommand({ ApiId: apiId, ModelId: created.ModelId })), {
    name: 'NotFoundException',
  });
  await assert.rejects(apigw.send(new GetModelTemplateCommand({ ApiId: apiId, ModelId: created.ModelId })), {
    name: 'NotFoundException',
  });
  await assert.rejects(apigw.send(new GetModelsCommand({ ApiId: 'zzzzzzzzzz' })), { name: 'NotFoundException' });
});

test('VPC links, models and tags persist across a restart', async () => {
  const { apigw } = clients(edge);
  const link = await apigw.send(new CreateVpcLinkCommand({ Name: 'kept', SubnetIds: ['subnet-0f'], Tags: { k: 'v' } }));
  const { apiId } = await deployApi(edge, [], {}, { Tags: { team: 'x' } });
  const model = await apigw.send(new CreateModelCommand({ ApiId: apiId, Name: 'Kept', Schema: PET_SCHEMA }));
  edge = await restartTestEdge(edge);
  const again = clients(edge).apigw;
  const kept = await again.send(new GetVpcLinkCommand({ VpcLinkId: link.VpcLinkId }));
  assert.deepEqual([kept.Name, kept.Tags], ['kept', { k: 'v' }]);
  assert.equal((await again.send(new GetModelCommand({ ApiId: apiId, ModelId: model.ModelId }))).Name, 'Kept');
  const tags = await aws(edge, [
    'apigatewayv2',
    'get-tags',
    '--resource-arn',
    `arn:aws:apigateway:${edge.region}::/apis/${apiId}`,
  ]);
  assert.deepEqual(tags.Tags, { team: 'x' });
});
