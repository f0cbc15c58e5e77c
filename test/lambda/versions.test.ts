// Published versions and aliases: PublishVersion, ListVersionsByFunction, Create/Get/Update/Delete/ListAliases;
// Invoke, GetFunction and permissions by qualifier; --publish; API Gateway integrations naming an alias.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvokeCommand,
  LambdaClient,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  RemovePermissionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { sdkFailure } from '../helpers/sdk-failure.ts';
import { aws, awsFails, deployApi, sdkFunction } from '../apigw/helpers.ts';

let edge: TestEdge;
let lambda: LambdaClient;
before(async () => {
  edge = await startTestEdge();
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials, maxAttempts: 1 });
});
after(async () => {
  await edge.close();
});

const source = (answer: string) => `export const handler = async () => ${JSON.stringify(answer)};`;
const zipOf = (answer: string) => zipSync({ 'index.mjs': strToU8(source(answer)) });

async function invoke(name: string, qualifier?: string) {
  const out = await lambda.send(new InvokeCommand({ FunctionName: name, Qualifier: qualifier }));
  return { answer: JSON.parse(Buffer.from(out.Payload!).toString()) as string, version: out.ExecutedVersion };
}

test('versions are published with checks, listed, invoked and read by qualifier, and immutable', async () => {
  await sdkFunction(edge, 'versioned', source('one'));
  const latest = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'versioned' }));
  const badSha = await sdkFailure(
    lambda.send(new PublishVersionCommand({ FunctionName: 'versioned', CodeSha256: 'abc' })),
  );
  assert.deepEqual([badSha.name, badSha.status], ['InvalidParameterValueException', 400]);
  const badRevision = await sdkFailure(
    lambda.send(new PublishVersionCommand({ FunctionName: 'versioned', RevisionId: 'nope' })),
  );
  assert.deepEqual([badRevision.name, badRevision.status], ['PreconditionFailedException', 412]);

  const v1 = await aws(edge, [
    'lambda',
    'publish-version',
    '--function-name',
    'versioned',
    '--code-sha256',
    latest.CodeSha256!,
    '--description',
    'first',
  ]);
  assert.equal(v1.Version, '1');
  assert.equal(v1.FunctionArn, `${latest.FunctionArn}:1`);
  assert.equal(v1.Description, 'first');
  // Nothing changed since: the same version is the answer.
  assert.equal((await lambda.send(new PublishVersionCommand({ FunctionName: 'versioned' }))).Version, '1');

  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'versioned', ZipFile: zipOf('two') }));
  const v2 = await lambda.send(
    new PublishVersionCommand({
      FunctionName: 'versioned',
      RevisionId: (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'versioned' }))).RevisionId,
    }),
  );
  assert.equal(v2.Version, '2');
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'versioned', ZipFile: zipOf('three') }));

  assert.deepEqual(await invoke('versioned'), { answer: 'three', version: '$LATEST' });
  assert.deepEqual(await invoke('versioned', '1'), { answer: 'one', version: '1' });
  assert.deepEqual(await invoke('versioned:2'), { answer: 'two', version: '2' });
  assert.deepEqual(await invoke(`${latest.FunctionArn}:$LATEST`), { answer: 'three', version: '$LATEST' });
  const cli = await aws(edge, [
    'lambda',
    'invoke',
    '--function-name',
    'versioned',
    '--qualifier',
    '1',
    path.join(mkdtempSync(path.join(tmpdir(), 'ddn-out-')), 'out.json'),
  ]);
  assert.equal(cli.ExecutedVersion, '1');

  const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'versioned', Qualifier: '1' }));
  assert.equal(got.Configuration?.Version, '1');
  assert.equal(got.Configuration?.CodeSha256, latest.CodeSha256);
  const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'versioned' }));
  assert.deepEqual(
    versions.Versions?.map((v) => v.Version),
    ['$LATEST', '1', '2'],
  );
  const missing = await sdkFailure(lambda.send(new GetFunctionCommand({ FunctionName: 'versioned:9' })));
  assert.deepEqual(
    [missing.name, missing.status, missing.message],
    ['ResourceNotFoundException', 404, `Function not found: ${latest.FunctionArn}:9`],
  );

  const immutable = await sdkFailure(
    lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'versioned:1', Timeout: 9 })),
  );
  assert.deepEqual([immutable.name, immutable.status], ['InvalidParameterValueException', 400]);
  const immutableCode = await sdkFailure(
    lambda.send(new UpdateFunctionCodeCommand({ FunctionName: `${latest.FunctionArn}:1`, ZipFile: zipOf('x') })),
  );
  assert.deepEqual([immutableCode.name, immutableCode.status], ['InvalidParameterValueException', 400]);
  assert.deepEqual(await invoke('versioned', '1'), { answer: 'one', version: '1' });

  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'versioned', Qualifier: '2' }));
  assert.equal((await sdkFailure(lambda.send(new InvokeCommand({ FunctionName: 'versioned:2' })))).status, 404);
  const latestDelete = await sdkFailure(
    lambda.send(new DeleteFunctionCommand({ FunctionName: 'versioned', Qualifier: '$LATEST' })),
  );
  assert.deepEqual([latestDelete.name, latestDelete.status], ['InvalidParameterValueException', 400]);
  // Version numbers are never reused.
  assert.equal((await lambda.send(new PublishVersionCommand({ FunctionName: 'versioned' }))).Version, '3');
});

test('--publish on create and update-function-code publishes a version', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-pub-'));
  writeFileSync(path.join(dir, 'a.zip'), zipOf('a'));
  writeFileSync(path.join(dir, 'b.zip'), zipOf('b'));
  await sdkFunction(edge, 'role-maker', source('x'));
  const created = await aws(edge, [
    'lambda',
    'create-function',
    '--function-name',
    'published',
    '--runtime',
    'nodejs20.x',
    '--handler',
    'index.handler',
    '--role',
    'arn:aws:iam::000000000000:role/lambda-role',
    '--zip-file',
    `fileb://${path.join(dir, 'a.zip')}`,
    '--publish',
  ]);
  assert.equal(created.Version, '1');
  const updated = await aws(edge, [
    'lambda',
    'update-function-code',
    '--function-name',
    'published',
    '--zip-file',
    `fileb://${path.join(dir, 'b.zip')}`,
    '--publish',
  ]);
  assert.equal(updated.Version, '2');
  assert.deepEqual(await invoke('published', '1'), { answer: 'a', version: '1' });
  assert.deepEqual(await invoke('published', '2'), { answer: 'b', version: '2' });
});

test('aliases: create, read, weighted routing, update with revision, list, delete; a version an alias uses cannot be deleted', async () => {
  const arn = await sdkFunction(edge, 'aliased', source('v1'));
  await lambda.send(new PublishVersionCommand({ FunctionName: 'aliased' }));
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'aliased', ZipFile: zipOf('v2') }));
  await lambda.send(new PublishVersionCommand({ FunctionName: 'aliased' }));

  const prod = await aws(edge, [
    'lambda',
    'create-alias',
    '--function-name',
    'aliased',
    '--name',
    'prod',
    '--function-version',
    '1',
    '--description',
    'live',
  ]);
  assert.equal(prod.AliasArn, `${arn}:prod`);
  assert.equal(prod.FunctionVersion, '1');
  const exists = await sdkFailure(
    lambda.send(new CreateAliasCommand({ FunctionName: 'aliased', Name: 'prod', FunctionVersion: '2' })),
  );
  assert.deepEqual([exists.name, exists.status], ['ResourceConflictException', 409]);
  const noVersion = await sdkFailure(
    lambda.send(new CreateAliasCommand({ FunctionName: 'aliased', Name: 'x', FunctionVersion: '7' })),
  );
  assert.deepEqual([noVersion.name, noVersion.status], ['ResourceNotFoundException', 404]);
  const numeric = await sdkFailure(
    lambda.send(new CreateAliasCommand({ FunctionName: 'aliased', Name: '12', FunctionVersion: '1' })),
  );
  assert.deepEqual([numeric.name, numeric.status], ['ValidationException', 400]);

  assert.deepEqual(await invoke('aliased', 'prod'), { answer: 'v1', version: '1' });
  assert.equal((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'aliased:prod' }))).Version, '1');

  const stale = await sdkFailure(
    lambda.send(
      new UpdateAliasCommand({ FunctionName: 'aliased', Name: 'prod', FunctionVersion: '2', RevisionId: 'old' }),
    ),
  );
  assert.deepEqual([stale.name, stale.status], ['PreconditionFailedException', 412]);
  const all = await lambda.send(
    new UpdateAliasCommand({
      FunctionName: 'aliased',
      Name: 'prod',
      RoutingConfig: { AdditionalVersionWeights: { '2': 1 } },
      RevisionId: prod.RevisionId,
    }),
  );
  assert.deepEqual(all.RoutingConfig, { AdditionalVersionWeights: { '2': 1 } });
  assert.deepEqual(await invoke('aliased', 'prod'), { answer: 'v2', version: '2' });
  await lambda.send(
    new UpdateAliasCommand({
      FunctionName: 'aliased',
      Name: 'prod',
      RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } },
    }),
  );
  const seen = new Set<string>();
  for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await invoke('aliased', 'prod')).version!);
  assert.deepEqual([...seen].sort(), ['1', '2']);
  const twoWeights = await sdkFailure(
    lambda.send(
      new UpdateAliasCommand({
        FunctionName: 'aliased',
        Name: 'prod',
        RoutingConfig: { AdditionalVersionWeights: { '1': 0.5 } },
      }),
    ),
  );
  assert.deepEqual([twoWeights.name, twoWeights.status], ['InvalidParameterValueException', 400]);

  await lambda.send(new CreateAliasCommand({ FunctionName: 'aliased', Name: 'dev', FunctionVersion: '$LATEST' }));
  const listed = await lambda.send(new ListAliasesCommand({ FunctionName: 'aliased' }));
  assert.deepEqual(
    listed.Aliases?.map((a) => a.Name),
    ['dev', 'prod'],
  );
  assert.deepEqual(
    (await lambda.send(new ListAliasesCommand({ FunctionName: 'aliased', FunctionVersion: '2' }))).Aliases?.map(
      (a) => a.Name,
    ),
    ['prod'],
  );

  const used = await sdkFailure(lambda.send(new DeleteFunctionCommand({ FunctionName: 'aliased', Qualifier: '2' })));
  assert.deepEqual([used.name, used.status], ['ResourceConflictException', 409]);
  assert.match(used.message, /aliases reference it: \[prod\]/);
  const cliUsed = await awsFails(edge, ['lambda', 'delete-function', '--function-name', 'aliased:1']);
  assert.match(cliUsed.stderr, /ResourceConflictException/);

  await lambda.send(new DeleteAliasCommand({ FunctionName: 'aliased', Name: 'prod' }));
  const gone = await sdkFailure(lambda.send(new GetAliasCommand({ FunctionName: 'aliased', Name: 'prod' })));
  assert.deepEqual(
    [gone.name, gone.status, gone.message],
    ['ResourceNotFoundException', 404, `Cannot find alias arn: ${arn}:prod`],
  );
  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'aliased', Qualifier: '2' }));
  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'aliased' }));
  assert.equal((await sdkFailure(lambda.send(new GetFunctionCommand({ FunctionName: 'aliased:1' })))).status, 404);
});

test('permissions follow the qualifier: an API Gateway integration naming an alias needs the alias permission', async () => {
  const arn = await sdkFunction(
    edge,
    'gated-alias',
    `export const handler = async () => ({ statusCode: 200, body: 'from alias' });`,
  );
  await lambda.send(new PublishVersionCommand({ FunctionName: 'gated-alias' }));
  await lambda.send(new CreateAliasCommand({ FunctionName: 'gated-alias', Name: 'live', FunctionVersion: '1' }));
  const { apiId, base } = await deployApi(edge, [{ routeKey: 'GET /a', target: `${arn}:live` }]);
  const sourceArn = `arn:aws:execute-api:${edge.region}:${edge.config.accountId}:${apiId}/*/*`;
  await lambda.send(
    new AddPermissionCommand({
      FunctionName: 'gated-alias',
      StatementId: 'fn',
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: sourceArn,
    }),
  );
  assert.equal((await fetch(`${base}/a`)).status, 500); // the unqualified function's permission does not cover the alias

  await lambda.send(
    new AddPermissionCommand({
      FunctionName: 'gated-alias',
      Qualifier: 'live',
      StatementId: 'alias',
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: sourceArn,
    }),
  );
  const ok = await fetch(`${base}/a`);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'from alias');
  const policy = await lambda.send(new GetPolicyCommand({ FunctionName: 'gated-alias', Qualifier: 'live' }));
  const statements = (JSON.parse(policy.Policy!) as { Statement: Array<{ Sid: string; Resource: string }> }).Statement;
  assert.deepEqual(
    statements.map((s) => [s.Sid, s.Resource]),
    [['alias', `${arn}:live`]],
  );
  const unqualified = JSON.parse(
    (await lambda.send(new GetPolicyCommand({ FunctionName: 'gated-alias' }))).Policy!,
  ) as { Statement: Array<{ Sid: string }> };
  assert.deepEqual(
    unqualified.Statement.map((s) => s.Sid),
    ['fn'],
  );
});

test('each qualifier has its own policy: one statement id in several, removed from one only', async () => {
  const arn = await sdkFunction(edge, 'policies', `export const handler = async () => 'ok';`);
  await lambda.send(new PublishVersionCommand({ FunctionName: 'policies' }));
  await lambda.send(new CreateAliasCommand({ FunctionName: 'policies', Name: 'live', FunctionVersion: '1' }));
  const add = (Qualifier?: string) =>
    lambda.send(
      new AddPermissionCommand({
        FunctionName: 'policies',
        Qualifier,
        StatementId: 'same-id',
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
      }),
    );
  for (const qualifier of [undefined, '1', 'live']) await add(qualifier);
  const again = await sdkFailure(add('live'));
  assert.equal(again.name, 'ResourceConflictException');
  const resources = async (Qualifier?: string) =>
    (
      JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'policies', Qualifier }))).Policy!) as {
        Statement: Array<{ Sid: string; Resource: string }>;
      }
    ).Statement.map((s) => `${s.Sid} ${s.Resource}`);
  assert.deepEqual(await resources(), [`same-id ${arn}`]);
  assert.deepEqual(await resources('1'), [`same-id ${arn}:1`]);
  assert.deepEqual(await resources('live'), [`same-id ${arn}:live`]);

  await lambda.send(
    new RemovePermissionCommand({ FunctionName: 'policies', Qualifier: 'live', StatementId: 'same-id' }),
  );
  const gone = await sdkFailure(lambda.send(new GetPolicyCommand({ FunctionName: 'policies', Qualifier: 'live' })));
  assert.equal(gone.name, 'ResourceNotFoundException');
  assert.deepEqual(await resources(), [`same-id ${arn}`]);
  assert.deepEqual(await resources('1'), [`same-id ${arn}:1`]);
  await lambda.send(new RemovePermissionCommand({ FunctionName: 'policies', StatementId: 'same-id' }));
  assert.deepEqual(await resources('1'), [`same-id ${arn}:1`]);
  const removedTwice = await sdkFailure(
    lambda.send(new RemovePermissionCommand({ FunctionName: 'policies', StatementId: 'same-id' })),
  );
  assert.equal(removedTwice.name, 'ResourceNotFoundException');
});
