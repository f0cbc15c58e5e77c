// Tags on APIs, stages, domain names and VPC links (aws CLI and SDK v3); UpdateDeployment and DeleteDeployment.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateDeploymentCommand,
  CreateStageCommand,
  DeleteDeploymentCommand,
  GetApiCommand,
  GetDeploymentCommand,
  GetStageCommand,
  GetTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateDeploymentCommand,
} from '@aws-sdk/client-apigatewayv2';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { aws, awsFails, clients } from './helpers.ts';

let edge: TestEdge;
before(async () => {
  edge = await startTestEdge();
});
after(async () => {
  await edge.close();
});

const apiArn = (id: string) => `arn:aws:apigateway:${edge.region}::/apis/${id}`;

test('aws CLI: Tags on create-api and create-stage come back from get-api, get-stage, get-tags', async () => {
  const api = await aws(edge, [
    'apigatewayv2',
    'create-api',
    '--name',
    't',
    '--protocol-type',
    'HTTP',
    '--tags',
    'team=core,env=dev',
  ]);
  assert.deepEqual(api.Tags, { team: 'core', env: 'dev' });
  assert.deepEqual((await aws(edge, ['apigatewayv2', 'get-api', '--api-id', api.ApiId])).Tags, {
    team: 'core',
    env: 'dev',
  });
  assert.deepEqual((await aws(edge, ['apigatewayv2', 'get-tags', '--resource-arn', apiArn(api.ApiId)])).Tags, {
    team: 'core',
    env: 'dev',
  });
  await aws(edge, ['apigatewayv2', 'tag-resource', '--resource-arn', apiArn(api.ApiId), '--tags', 'env=prod,cost=42']);
  await aws(edge, [
    'apigatewayv2',
    'untag-resource',
    '--resource-arn',
    apiArn(api.ApiId),
    '--tag-keys',
    'team',
    'nope',
  ]);
  assert.deepEqual((await aws(edge, ['apigatewayv2', 'get-tags', '--resource-arn', apiArn(api.ApiId)])).Tags, {
    env: 'prod',
    cost: '42',
  });

  const stage = await aws(edge, [
    'apigatewayv2',
    'create-stage',
    '--api-id',
    api.ApiId,
    '--stage-name',
    'beta',
    '--tags',
    'tier=1',
  ]);
  assert.deepEqual(stage.Tags, { tier: '1' });
  const stageArn = `${apiArn(api.ApiId)}/stages/beta`;
  await aws(edge, ['apigatewayv2', 'tag-resource', '--resource-arn', stageArn, '--tags', 'owner=me']);
  assert.deepEqual(
    (await aws(edge, ['apigatewayv2', 'get-stage', '--api-id', api.ApiId, '--stage-name', 'beta'])).Tags,
    {
      tier: '1',
      owner: 'me',
    },
  );
});

test('tags on domain names and VPC links; bad ARNs, unknown resources and bad tags are refused', async () => {
  const { apigw } = clients(edge);
  const domain = await aws(edge, [
    'apigatewayv2',
    'create-domain-name',
    '--domain-name',
    'tags.ddn.localhost',
    '--tags',
    'a=1',
  ]);
  await apigw.send(new TagResourceCommand({ ResourceArn: domain.DomainNameArn, Tags: { b: '2' } }));
  assert.deepEqual((await apigw.send(new GetTagsCommand({ ResourceArn: domain.DomainNameArn }))).Tags, {
    a: '1',
    b: '2',
  });
  const link = await aws(edge, [
    'apigatewayv2',
    'create-vpc-link',
    '--name',
    'l',
    '--subnet-ids',
    'subnet-0abc',
    '--tags',
    'x=y',
  ]);
  const linkArn = `arn:aws:apigateway:${edge.region}::/vpclinks/${link.VpcLinkId}`;
  await apigw.send(new UntagResourceCommand({ ResourceArn: linkArn, TagKeys: ['x'] }));
  assert.deepEqual((await apigw.send(new GetTagsCommand({ ResourceArn: linkArn }))).Tags, {});

  const api = await aws(edge, [
    'apigatewayv2',
    'create-api',
    '--name',
    't',
    '--protocol-type',
    'HTTP',
    '--tags',
    'k=v',
  ]);
  const bad = await awsFails(edge, ['apigatewayv2', 'get-tags', '--resource-arn', 'arn:aws:s3:::bucket']);
  assert.match(bad.stderr, /BadRequestException/);
  const missing = await awsFails(edge, ['apigatewayv2', 'get-tags', '--resource-arn', apiArn('nope000000')]);
  assert.match(missing.stderr, /NotFoundException/);
  const noStage = await awsFails(edge, [
    'apigatewayv2',
    'tag-resource',
    '--resource-arn',
    `${apiArn(api.ApiId)}/stages/x`,
    '--tags',
    'a=b',
  ]);
  assert.match(noStage.stderr, /NotFoundException/);
  const reserved = await awsFails(edge, [
    'apigatewayv2',
    'tag-resource',
    '--resource-arn',
    apiArn(api.ApiId),
    '--tags',
    'aws:x=1',
  ]);
  assert.match(reserved.stderr, /BadRequestException.*aws: prefix is reserved/);
  const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
  await assert.rejects(apigw.send(new TagResourceCommand({ ResourceArn: apiArn(api.ApiId), Tags: many })), {
    name: 'BadRequestException',
  });
  const onCreate = await awsFails(edge, [
    'apigatewayv2',
    'create-api',
    '--name',
    'u',
    '--protocol-type',
    'HTTP',
    '--tags',
    'aws:a=1',
  ]);
  assert.match(onCreate.stderr, /BadRequestException/);
  assert.deepEqual((await apigw.send(new GetApiCommand({ ApiId: api.ApiId }))).Tags, { k: 'v' });
});

test('UpdateDeployment changes the description; DeleteDeployment refuses a deployment a stage serves', async () => {
  const { apigw } = clients(edge);
  const api = await aws(edge, ['apigatewayv2', 'create-api', '--name', 'd', '--protocol-type', 'HTTP']);
  const ApiId = api.ApiId as string;
  await apigw.send(new CreateStageCommand({ ApiId, StageName: 'prod' }));
  const served = await apigw.send(new CreateDeploymentCommand({ ApiId, StageName: 'prod', Description: 'first' }));
  const spare = await apigw.send(new CreateDeploymentCommand({ ApiId }));

  const updated = await apigw.send(
    new UpdateDeploymentCommand({ ApiId, DeploymentId: served.DeploymentId, Description: 'renamed' }),
  );
  assert.equal(updated.Description, 'renamed');
  assert.equal(updated.DeploymentId, served.DeploymentId);
  assert.equal(
    (await apigw.send(new GetDeploymentCommand({ ApiId, DeploymentId: served.DeploymentId }))).Description,
    'renamed',
  );
  const cli = await aws(edge, [
    'apigatewayv2',
    'update-deployment',
    '--api-id',
    ApiId,
    '--deployment-id',
    spare.DeploymentId!,
    '--description',
    'cli',
  ]);
  assert.equal(cli.Description, 'cli');

  const inUse = await awsFails(edge, [
    'apigatewayv2',
    'delete-deployment',
    '--api-id',
    ApiId,
    '--deployment-id',
    served.DeploymentId!,
  ]);
  assert.match(inUse.stderr, /BadRequestException.*Active stages pointing to this deployment must be moved or deleted/);
  assert.equal((await apigw.send(new GetStageCommand({ ApiId, StageName: 'prod' }))).DeploymentId, served.DeploymentId);

  await apigw.send(new DeleteDeploymentCommand({ ApiId, DeploymentId: spare.DeploymentId }));
  await assert.rejects(apigw.send(new GetDeploymentCommand({ ApiId, DeploymentId: spare.DeploymentId })), {
    name: 'NotFoundException',
  });
  const gone = await awsFails(edge, [
    'apigatewayv2',
    'delete-deployment',
    '--api-id',
    ApiId,
    '--deployment-id',
    spare.DeploymentId!,
  ]);
  assert.match(gone.stderr, /NotFoundException/);
  const missing = await awsFails(edge, [
    'apigatewayv2',
    'update-deployment',
    '--api-id',
    ApiId,
    '--deployment-id',
    'zzzzzz',
  ]);
  assert.match(missing.stderr, /NotFoundException/);
});
