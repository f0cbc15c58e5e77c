// Tags on functions: TagResource, UntagResource, ListTags, `Tags` on CreateFunction, and Lambda's limits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GetFunctionCommand,
  LambdaClient,
  ListTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-lambda';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { restartTestEdge, startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { sdkFailure } from '../helpers/sdk-failure.ts';
import { aws, awsFails, sdkFunction } from '../apigw/helpers.ts';

const zipFile = path.join(mkdtempSync(path.join(tmpdir(), 'ddn-tags-')), 'fn.zip');
writeFileSync(zipFile, zipSync({ 'index.mjs': strToU8('export const handler = async () => 1;') }));

let edge: TestEdge;
let lambda: LambdaClient;
before(async () => {
  edge = await startTestEdge();
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials, maxAttempts: 1 });
});
after(async () => {
  await edge.close();
});

test('tags set on create, added, listed, removed (aws CLI and SDK); GetFunction shows them', async () => {
  const arn = await sdkFunction(edge, 'tagged', 'export const handler = async () => 1;');
  assert.deepEqual((await aws(edge, ['lambda', 'list-tags', '--resource', arn])).Tags, {});
  await aws(edge, ['lambda', 'tag-resource', '--resource', arn, '--tags', 'team=core,env=dev']);
  await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { env: 'prod', cost: '' } }));
  assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags, {
    team: 'core',
    env: 'prod',
    cost: '',
  });
  await aws(edge, ['lambda', 'untag-resource', '--resource', arn, '--tag-keys', 'team', 'absent']);
  assert.deepEqual((await lambda.send(new GetFunctionCommand({ FunctionName: 'tagged' }))).Tags, {
    env: 'prod',
    cost: '',
  });
  await lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: ['env', 'cost'] }));
  assert.equal((await lambda.send(new GetFunctionCommand({ FunctionName: 'tagged' }))).Tags, undefined);

  const created = await aws(edge, [
    'lambda',
    'create-function',
    '--function-name',
    'born-tagged',
    '--runtime',
    'nodejs20.x',
    '--handler',
    'index.handler',
    '--role',
    'arn:aws:iam::000000000000:role/lambda-role',
    '--zip-file',
    `fileb://${zipFile}`,
    '--tags',
    'a=1',
  ]);
  assert.deepEqual((await aws(edge, ['lambda', 'list-tags', '--resource', created.FunctionArn])).Tags, { a: '1' });
});

test("tag limits and errors: 50 tags, key and value lengths, 'aws:' reserved, unknown or qualified resources", async () => {
  const arn = await sdkFunction(edge, 'limited', 'export const handler = async () => 1;');
  await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { keep: 'me' } }));
  const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
  const cases: Array<[Record<string, string>, string, number]> = [
    [fifty, 'InvalidParameterValueException', 400], // 51 with `keep`
    [{ 'aws:owner': 'x' }, 'InvalidParameterValueException', 400],
    [{ ['k'.repeat(129)]: 'x' }, 'ValidationException', 400],
    [{ ok: 'v'.repeat(257) }, 'ValidationException', 400],
  ];
  for (const [tags, name, status] of cases) {
    const err = await sdkFailure(lambda.send(new TagResourceCommand({ Resource: arn, Tags: tags })));
    assert.deepEqual([err.name, err.status], [name, status], JSON.stringify(tags).slice(0, 80));
  }
  assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags, { keep: 'me' });
  await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { ['k'.repeat(128)]: 'v'.repeat(256) } }));

  const missing = await sdkFailure(lambda.send(new ListTagsCommand({ Resource: `${arn}x` })));
  assert.deepEqual(
    [missing.name, missing.status, missing.message],
    ['ResourceNotFoundException', 404, `Function not found: ${arn}x`],
  );
  const qualified = await sdkFailure(lambda.send(new TagResourceCommand({ Resource: `${arn}:1`, Tags: { a: 'b' } })));
  assert.deepEqual([qualified.name, qualified.status], ['InvalidParameterValueException', 400]);
  const cli = await awsFails(edge, ['lambda', 'tag-resource', '--resource', arn, '--tags', 'aws:x=1']);
  assert.match(cli.stderr, /InvalidParameterValueException/);

  const over = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
  const create = await awsFails(edge, [
    'lambda',
    'create-function',
    '--function-name',
    'too-many-tags',
    '--runtime',
    'nodejs20.x',
    '--handler',
    'index.handler',
    '--role',
    'arn:aws:iam::000000000000:role/lambda-role',
    '--zip-file',
    `fileb://${zipFile}`,
    '--tags',
    JSON.stringify(over),
  ]);
  assert.match(create.stderr, /InvalidParameterValueException/);
  assert.match(
    await awsFails(edge, ['lambda', 'get-function', '--function-name', 'too-many-tags']).then((f) => f.stderr),
    /ResourceNotFound/,
  );
});

test('tags survive a restart of the edge', async () => {
  const arn = await sdkFunction(edge, 'kept', 'export const handler = async () => 1;');
  await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { stays: 'yes' } }));
  edge = await restartTestEdge(edge);
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials, maxAttempts: 1 });
  assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags, { stays: 'yes' });
});
