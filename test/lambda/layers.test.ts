// Lambda layers: PublishLayerVersion, GetLayerVersion(ByArn), ListLayers, ListLayerVersions, DeleteLayerVersion and
// the layer permission calls, with their errors; functions' Layers, and Node and Python functions that load code
// from their layers, in order, after the version is deleted too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import nodeModule from 'node:module';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import {
  AddLayerVersionPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteLayerVersionCommand,
  GetFunctionConfigurationCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  InvokeCommand,
  LambdaClient,
  ListLayersCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  RemoveLayerVersionPermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { waitForFunction } from '../../src/deploy/apply.ts';
import { restartTestEdge, startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { sdkFailure } from '../helpers/sdk-failure.ts';
import { ensureLambdaRole } from '../helpers/iam.ts';
import { aws } from '../apigw/helpers.ts';

const ROLE = 'arn:aws:iam::000000000000:role/layers';

let edge: TestEdge;
let lambda: LambdaClient;
let dir: string;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ddn-layers-'));
  // A package.json of ES modules above the data directory: functions' and layers' .js files are CommonJS anyway.
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
  edge = await startTestEdge({ DDN_DATA_DIR: path.join(dir, 'data') });
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials, maxAttempts: 1 });
  await ensureLambdaRole(edge, 'layers');
});
after(async () => {
  await edge.close();
  rmSync(dir, { recursive: true, force: true });
});

const zip = (files: Record<string, string>) =>
  zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, strToU8(text)])));

async function publish(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}) {
  return lambda.send(new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: zip(files) }, ...extra }));
}

async function createFunction(
  name: string,
  runtime: Runtime,
  handler: string,
  files: Record<string, string>,
  layers: string[],
) {
  return lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: runtime,
      Handler: handler,
      Role: ROLE,
      Code: { ZipFile: zip(files) },
      Layers: layers,
    }),
  );
}

async function invoke(name: string): Promise<unknown> {
  const out = await lambda.send(new InvokeCommand({ FunctionName: name }));
  const text = Buffer.from(out.Payload!).toString();
  assert.equal(out.FunctionError, undefined, text);
  return JSON.parse(text);
}

test('a published layer version is read back, by name and by ARN, and its archive downloads', async () => {
  // One archive throughout: zipSync stamps entries with the current time.
  const archive = zip({ 'nodejs/node_modules/hello/index.js': 'module.exports = "hi";' });
  const first = await lambda.send(
    new PublishLayerVersionCommand({
      LayerName: 'read-layer',
      Content: { ZipFile: archive },
      Description: 'first',
      CompatibleRuntimes: ['nodejs20.x', 'python3.12'],
      CompatibleArchitectures: ['x86_64'],
      LicenseInfo: 'MIT',
    }),
  );
  assert.equal(first.$metadata.httpStatusCode, 201);
  const arn = `arn:aws:lambda:${edge.region}:000000000000:layer:read-layer`;
  assert.equal(first.LayerArn, arn);
  assert.equal(first.LayerVersionArn, `${arn}:1`);
  assert.equal(first.Version, 1);
  assert.equal(first.Description, 'first');
  assert.deepEqual(first.CompatibleRuntimes, ['nodejs20.x', 'python3.12']);
  assert.deepEqual(first.CompatibleArchitectures, ['x86_64']);
  assert.equal(first.LicenseInfo, 'MIT');
  assert.match(first.CreatedDate!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  assert.equal(first.Content!.CodeSize, archive.length);
  assert.equal(first.Content!.CodeSha256, createHash('sha256').update(archive).digest('base64'));
  const download = await fetch(first.Content!.Location!);
  assert.equal(download.status, 200);
  assert.deepEqual(new Uint8Array(await download.arrayBuffer()), archive);

  const got = await lambda.send(new GetLayerVersionCommand({ LayerName: 'read-layer', VersionNumber: 1 }));
  assert.equal(got.LayerVersionArn, `${arn}:1`);
  assert.equal(got.Content!.CodeSha256, first.Content!.CodeSha256);
  const byLayerArn = await lambda.send(new GetLayerVersionCommand({ LayerName: arn, VersionNumber: 1 }));
  assert.equal(byLayerArn.Version, 1);
  const byArn = await lambda.send(new GetLayerVersionByArnCommand({ Arn: `${arn}:1` }));
  assert.equal(byArn.Description, 'first');

  // The aws CLI reads the same; versions count up.
  const archiveFile = path.join(dir, 'layer.zip');
  writeFileSync(archiveFile, archive);
  const second = await aws(edge, [
    'lambda',
    'publish-layer-version',
    '--layer-name',
    'read-layer',
    '--zip-file',
    `fileb://${archiveFile}`,
  ]);
  assert.equal(second.Version, 2);
  assert.equal(second.Description, '');
  const cli = await aws(edge, ['lambda', 'get-layer-version-by-arn', '--arn', `${arn}:2`]);
  assert.equal(cli.LayerVersionArn, `${arn}:2`);
});

test('layer calls answer AWS errors', async () => {
  await publish('errors-layer', { 'a.txt': 'a' });
  const missing = await sdkFailure(
    lambda.send(new GetLayerVersionCommand({ LayerName: 'errors-layer', VersionNumber: 9 })),
  );
  assert.deepEqual(missing, {
    name: 'ResourceNotFoundException',
    message: 'The resource you requested does not exist.',
    status: 404,
  });
  const byArn = await sdkFailure(
    lambda.send(new GetLayerVersionByArnCommand({ Arn: `arn:aws:lambda:${edge.region}:000000000000:layer:nope:1` })),
  );
  assert.equal(byArn.name, 'ResourceNotFoundException');
  const badArn = await sdkFailure(lambda.send(new GetLayerVersionByArnCommand({ Arn: 'arn:aws:lambda:x:layer' })));
  assert.equal(badArn.name, 'ValidationException');
  assert.equal(badArn.status, 400);
  const badName = await sdkFailure(publish('bad name!', { 'a.txt': 'a' }));
  assert.equal(badName.name, 'ValidationException');
  const badZip = await sdkFailure(
    lambda.send(
      new PublishLayerVersionCommand({ LayerName: 'errors-layer', Content: { ZipFile: strToU8('not a zip') } }),
    ),
  );
  assert.equal(badZip.name, 'InvalidParameterValueException');
  const noContent = await sdkFailure(
    lambda.send(new PublishLayerVersionCommand({ LayerName: 'errors-layer', Content: {} })),
  );
  assert.equal(noContent.name, 'InvalidParameterValueException');
  const badMax = await sdkFailure(lambda.send(new ListLayersCommand({ MaxItems: 51 })));
  assert.equal(badMax.name, 'ValidationException');
  // Nothing was published by the failed calls.
  const versions = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'errors-layer' }));
  assert.deepEqual(
    versions.LayerVersions!.map((v) => v.Version),
    [1],
  );
});

test('layers and versions are listed with their filters, newest first, page by page', async () => {
  await publish(
    'list-a',
    { 'a.txt': '1' },
    { CompatibleRuntimes: ['nodejs20.x'], CompatibleArchitectures: ['x86_64'] },
  );
  await publish('list-a', { 'a.txt': '2' }, { CompatibleRuntimes: ['python3.12'], CompatibleArchitectures: ['arm64'] });
  await publish('list-a', { 'a.txt': '3' }, { CompatibleRuntimes: ['nodejs20.x'], CompatibleArchitectures: ['arm64'] });
  await publish('list-b', { 'b.txt': '1' }, { CompatibleRuntimes: ['python3.12'] });

  const all = await lambda.send(new ListLayersCommand({}));
  const listed = all.Layers!.filter((l) => l.LayerName!.startsWith('list-'));
  assert.deepEqual(
    listed.map((l) => [l.LayerName, l.LatestMatchingVersion!.Version]),
    [
      ['list-a', 3],
      ['list-b', 1],
    ],
  );
  assert.equal(listed[0].LayerArn, `arn:aws:lambda:${edge.region}:000000000000:layer:list-a`);
  const node = await lambda.send(new ListLayersCommand({ CompatibleRuntime: 'nodejs20.x' }));
  assert.deepEqual(
    node
      .Layers!.filter((l) => l.LayerName!.startsWith('list-'))
      .map((l) => [l.LayerName, l.LatestMatchingVersion!.Version]),
    [['list-a', 3]],
  );
  const python = await lambda.send(new ListLayersCommand({ CompatibleRuntime: 'python3.12' }));
  assert.deepEqual(
    python
      .Layers!.filter((l) => l.LayerName!.startsWith('list-'))
      .map((l) => [l.LayerName, l.LatestMatchingVersion!.Version]),
    [
      ['list-a', 2],
      ['list-b', 1],
    ],
  );
  const x86 = await lambda.send(new ListLayersCommand({ CompatibleArchitecture: 'x86_64' }));
  assert.deepEqual(
    x86.Layers!.filter((l) => l.LayerName!.startsWith('list-')).map((l) => l.LatestMatchingVersion!.Version),
    [1],
  );

  const versions = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'list-a' }));
  assert.deepEqual(
    versions.LayerVersions!.map((v) => v.Version),
    [3, 2, 1],
  );
  const arm = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'list-a', CompatibleArchitecture: 'arm64' }));
  assert.deepEqual(
    arm.LayerVersions!.map((v) => v.Version),
    [3, 2],
  );
  const page1 = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'list-a', MaxItems: 2 }));
  assert.deepEqual(
    page1.LayerVersions!.map((v) => v.Version),
    [3, 2],
  );
  const page2 = await lambda.send(
    new ListLayerVersionsCommand({ LayerName: 'list-a', MaxItems: 2, Marker: page1.NextMarker }),
  );
  assert.deepEqual(
    page2.LayerVersions!.map((v) => v.Version),
    [1],
  );
  assert.equal(page2.NextMarker, undefined);
  const layersPage = await lambda.send(new ListLayersCommand({ MaxItems: 1 }));
  assert.equal(layersPage.Layers!.length, 1);
  assert.ok(layersPage.NextMarker);
  const none = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'never-published' }));
  assert.deepEqual(none.LayerVersions, []);
});

test('a deleted version is gone, its number is not reused, and deleting it again succeeds', async () => {
  await publish('deleted-layer', { 'a.txt': '1' });
  await publish('deleted-layer', { 'a.txt': '2' });
  const deleted = await lambda.send(new DeleteLayerVersionCommand({ LayerName: 'deleted-layer', VersionNumber: 2 }));
  assert.equal(deleted.$metadata.httpStatusCode, 204);
  const again = await lambda.send(new DeleteLayerVersionCommand({ LayerName: 'deleted-layer', VersionNumber: 2 }));
  assert.equal(again.$metadata.httpStatusCode, 204);
  const gone = await sdkFailure(
    lambda.send(new GetLayerVersionCommand({ LayerName: 'deleted-layer', VersionNumber: 2 })),
  );
  assert.equal(gone.name, 'ResourceNotFoundException');
  const next = await publish('deleted-layer', { 'a.txt': '3' });
  assert.equal(next.Version, 3);
  await lambda.send(new DeleteLayerVersionCommand({ LayerName: 'deleted-layer', VersionNumber: 1 }));
  await lambda.send(new DeleteLayerVersionCommand({ LayerName: 'deleted-layer', VersionNumber: 3 }));
  const all = await lambda.send(new ListLayersCommand({}));
  assert.ok(!all.Layers!.some((l) => l.LayerName === 'deleted-layer'));
  assert.equal((await publish('deleted-layer', { 'a.txt': '4' })).Version, 4);
});

test('layer version permissions are added, read, guarded by RevisionId and removed', async () => {
  await publish('shared-layer', { 'a.txt': '1' });
  const arn = `arn:aws:lambda:${edge.region}:000000000000:layer:shared-layer:1`;
  const noPolicy = await sdkFailure(
    lambda.send(new GetLayerVersionPolicyCommand({ LayerName: 'shared-layer', VersionNumber: 1 })),
  );
  assert.deepEqual(noPolicy, {
    name: 'ResourceNotFoundException',
    message: 'No policy is associated with the given resource.',
    status: 404,
  });
  const added = await lambda.send(
    new AddLayerVersionPermissionCommand({
      LayerName: 'shared-layer',
      VersionNumber: 1,
      StatementId: 'xaccount',
      Action: 'lambda:GetLayerVersion',
      Principal: '210987654321',
    }),
  );
  assert.equal(added.$metadata.httpStatusCode, 201);
  assert.deepEqual(JSON.parse(added.Statement!), {
    Sid: 'xaccount',
    Effect: 'Allow',
    Principal: { AWS: 'arn:aws:iam::210987654321:root' },
    Action: 'lambda:GetLayerVersion',
    Resource: arn,
  });
  const org = await aws(edge, [
    'lambda',
    'add-layer-version-permission',
    '--layer-name',
    'shared-layer',
    '--version-number',
    '1',
    '--statement-id',
    'org',
    '--action',
    'lambda:GetLayerVersion',
    '--principal',
    '*',
    '--organization-id',
    'o-t194hfs8cz',
    '--revision-id',
    added.RevisionId!,
  ]);
  assert.deepEqual(JSON.parse(org.Statement as string), {
    Sid: 'org',
    Effect: 'Allow',
    Principal: '*',
    Action: 'lambda:GetLayerVersion',
    Resource: arn,
    Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-t194hfs8cz' } },
  });
  const policy = await lambda.send(new GetLayerVersionPolicyCommand({ LayerName: 'shared-layer', VersionNumber: 1 }));
  assert.equal(policy.RevisionId, org.RevisionId);
  const document = JSON.parse(policy.Policy!) as { Statement: Array<{ Sid: string }> };
  assert.deepEqual(
    document.Statement.map((s) => s.Sid),
    ['xaccount', 'org'],
  );

  const permission = (extra: Record<string, unknown>) =>
    lambda.send(
      new AddLayerVersionPermissionCommand({
        LayerName: 'shared-layer',
        VersionNumber: 1,
        StatementId: 'xaccount',
        Action: 'lambda:GetLayerVersion',
        Principal: '*',
        ...extra,
      }),
    );
  const duplicate = await sdkFailure(permission({}));
  assert.equal(duplicate.name, 'ResourceConflictException');
  assert.equal(duplicate.status, 409);
  const stale = await sdkFailure(permission({ StatementId: 'other', RevisionId: added.RevisionId }));
  assert.equal(stale.name, 'PreconditionFailedException');
  assert.equal(stale.status, 412);
  const badAction = await sdkFailure(permission({ StatementId: 'other', Action: 'lambda:InvokeFunction' }));
  assert.equal(badAction.name, 'ValidationException');
  const badPrincipal = await sdkFailure(permission({ StatementId: 'other', Principal: 'someone' }));
  assert.equal(badPrincipal.name, 'ValidationException');
  const noVersion = await sdkFailure(permission({ StatementId: 'other', VersionNumber: 7 }));
  assert.deepEqual(noVersion, {
    name: 'ResourceNotFoundException',
    message: `Layer version ${arn.replace(/:1$/, ':7')} does not exist.`,
    status: 404,
  });

  const staleRemove = await sdkFailure(
    lambda.send(
      new RemoveLayerVersionPermissionCommand({
        LayerName: 'shared-layer',
        VersionNumber: 1,
        StatementId: 'org',
        RevisionId: added.RevisionId,
      }),
    ),
  );
  assert.equal(staleRemove.name, 'PreconditionFailedException');
  const removed = await lambda.send(
    new RemoveLayerVersionPermissionCommand({ LayerName: 'shared-layer', VersionNumber: 1, StatementId: 'org' }),
  );
  assert.equal(removed.$metadata.httpStatusCode, 204);
  const missing = await sdkFailure(
    lambda.send(
      new RemoveLayerVersionPermissionCommand({ LayerName: 'shared-layer', VersionNumber: 1, StatementId: 'org' }),
    ),
  );
  assert.deepEqual(missing, {
    name: 'ResourceNotFoundException',
    message: 'Statement org is not found in resource policy.',
    status: 404,
  });
  const after = await lambda.send(new GetLayerVersionPolicyCommand({ LayerName: 'shared-layer', VersionNumber: 1 }));
  assert.deepEqual(
    (JSON.parse(after.Policy!) as { Statement: Array<{ Sid: string }> }).Statement.map((s) => s.Sid),
    ['xaccount'],
  );
});

test("a function's Layers are checked as Lambda checks them and returned with its configuration", async () => {
  const one = await publish('fn-layer-a', { 'a.txt': 'a' });
  const two = await publish('fn-layer-b', { 'b.txt': 'bb' });
  const created = await createFunction(
    'with-layers',
    'nodejs20.x',
    'index.handler',
    { 'index.js': 'exports.handler = async () => 1;' },
    [one.LayerVersionArn!, two.LayerVersionArn!],
  );
  assert.deepEqual(created.Layers, [
    { Arn: one.LayerVersionArn, CodeSize: one.Content!.CodeSize },
    { Arn: two.LayerVersionArn, CodeSize: two.Content!.CodeSize },
  ]);
  const missingArn = `arn:aws:lambda:${edge.region}:000000000000:layer:fn-layer-a:99`;
  const missing = await sdkFailure(
    createFunction('bad-layers', 'nodejs20.x', 'index.handler', { 'index.js': '' }, [missingArn]),
  );
  assert.deepEqual(missing, {
    name: 'InvalidParameterValueException',
    message: `Layer version ${missingArn} does not exist.`,
    status: 400,
  });
  const six = await sdkFailure(
    createFunction(
      'bad-layers',
      'nodejs20.x',
      'index.handler',
      { 'index.js': '' },
      Array(6).fill(one.LayerVersionArn!),
    ),
  );
  assert.deepEqual(six, {
    name: 'InvalidParameterValueException',
    message: 'Cannot reference more than 5 layers.',
    status: 400,
  });
  const second = await publish('fn-layer-a', { 'a.txt': 'a2' });
  const sameLayer = await sdkFailure(
    createFunction('bad-layers', 'nodejs20.x', 'index.handler', { 'index.js': '' }, [
      one.LayerVersionArn!,
      second.LayerVersionArn!,
    ]),
  );
  assert.equal(sameLayer.name, 'InvalidParameterValueException');
  assert.match(sameLayer.message, /^Two different versions of the same layer are not allowed/);
  const notArn = await sdkFailure(
    createFunction('bad-layers', 'nodejs20.x', 'index.handler', { 'index.js': '' }, ['nope']),
  );
  assert.equal(notArn.name, 'ValidationException');
  const otherRegion = await sdkFailure(
    createFunction('bad-layers', 'nodejs20.x', 'index.handler', { 'index.js': '' }, [
      one.LayerVersionArn!.replace(`:${edge.region}:`, ':xx-nowhere-9:'),
    ]),
  );
  assert.equal(otherRegion.name, 'InvalidParameterValueException');
  const none = await sdkFailure(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'bad-layers' })));
  assert.equal(none.name, 'ResourceNotFoundException');

  const updated = await lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: 'with-layers', Layers: [second.LayerVersionArn!] }),
  );
  assert.deepEqual(updated.Layers, [{ Arn: second.LayerVersionArn, CodeSize: second.Content!.CodeSize }]);
  const refused = await sdkFailure(
    lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'with-layers', Layers: [missingArn] })),
  );
  assert.equal(refused.name, 'InvalidParameterValueException');
  const kept = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'with-layers' }));
  assert.deepEqual(kept.Layers, updated.Layers);
  const cleared = await lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: 'with-layers', Layers: [] }),
  );
  assert.equal(cleared.Layers, undefined);
});

test('function code and its layers together may unpack to 250 MiB at most, on create and on either update', async () => {
  // Zeros compress a thousandfold: a layer and code of 125 MiB each, one byte over together.
  const half = 131_072_000;
  const zeros = (size: number) => zipSync({ 'zeros.bin': new Uint8Array(size) });
  const layer = await lambda.send(
    new PublishLayerVersionCommand({ LayerName: 'half-limit', Content: { ZipFile: zeros(half) } }),
  );
  const overBy = (size: number) => ({
    name: 'InvalidParameterValueException',
    message: `Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. The actual size is ${size} bytes.`,
    status: 400,
  });
  const big = zeros(half + 1);
  const create = (name: string, code: Uint8Array, layers: string[]) =>
    lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: code },
        Layers: layers,
      }),
    );
  assert.deepEqual(await sdkFailure(create('too-big', big, [layer.LayerVersionArn!])), overBy(2 * half + 1));
  const none = await sdkFailure(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'too-big' })));
  assert.equal(none.name, 'ResourceNotFoundException');

  const small = zip({ 'index.js': 'exports.handler = async () => 1;' });
  const fits = await create('fits-with-layer', small, [layer.LayerVersionArn!]);
  await waitForFunction(lambda, 'fits-with-layer');
  const bigCode = await sdkFailure(
    lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'fits-with-layer', ZipFile: big })),
  );
  assert.deepEqual(bigCode, overBy(2 * half + 1));
  const kept = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'fits-with-layer' }));
  assert.equal(kept.CodeSha256, fits.CodeSha256);

  await create('big-alone', big, []);
  await waitForFunction(lambda, 'big-alone');
  const addLayer = await sdkFailure(
    lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'big-alone', Layers: [layer.LayerVersionArn!] }),
    ),
  );
  assert.deepEqual(addLayer, overBy(2 * half + 1));
  const alone = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'big-alone' }));
  assert.equal(alone.Layers, undefined);
  for (const name of ['fits-with-layer', 'big-alone'])
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
});

test('a Node function requires modules from its layers, the later layer over the earlier', async () => {
  const lib = await publish('node-lib', {
    'nodejs/node_modules/greeter/index.js': 'exports.greet = (who) => `hello ${who}`;',
    'nodejs/node_modules/shared/index.js': 'module.exports = "from the first layer";',
    'bin/tool.sh': '#!/bin/sh\necho tool',
  });
  const override = await publish('node-override', {
    'nodejs/node_modules/shared/index.js': 'module.exports = "from the second layer";',
    'nodejs/node20/node_modules/versioned/index.js': 'module.exports = "node20 directory";',
  });
  const source = `
    const { greet } = require('greeter');
    exports.handler = async () => ({
      greeting: greet('layers'),
      shared: require('shared'),
      versioned: require('versioned'),
      path: process.env.PATH.split(':').at(-1).endsWith('/bin'),
      nodePath: process.env.NODE_PATH.split(':').map((p) => p.slice(p.indexOf('/nodejs/') + 1)),
    });`;
  await createFunction('node-layers', 'nodejs20.x', 'index.handler', { 'index.js': source }, [
    lib.LayerVersionArn!,
    override.LayerVersionArn!,
  ]);
  assert.deepEqual(await invoke('node-layers'), {
    greeting: 'hello layers',
    shared: 'from the second layer',
    versioned: 'node20 directory',
    path: true,
    nodePath: ['nodejs/node20/node_modules', 'nodejs/node_modules'],
  });

  // The other order: the first layer's module wins.
  await lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: 'node-layers',
      Layers: [override.LayerVersionArn!, lib.LayerVersionArn!],
    }),
  );
  assert.equal(((await invoke('node-layers')) as { shared: string }).shared, 'from the first layer');
});

const inThreadHooks = typeof (nodeModule as { registerHooks?: unknown }).registerHooks === 'function';

test(
  "a Node function's ES module imports packages from its layers; its own node_modules comes first",
  { skip: inThreadHooks ? false : 'ES module imports from layers need module.registerHooks (Node 22.15 or later)' },
  async () => {
    const lib = await publish('node-esm-lib', {
      'nodejs/node_modules/greeter-esm/package.json': '{"type":"module","exports":"./index.js"}',
      'nodejs/node_modules/greeter-esm/index.js': 'export const greet = (who) => `hello ${who}`;',
      'nodejs/node_modules/shared/index.js': 'module.exports = "from the layer";',
    });
    const source = `
      import { greet } from 'greeter-esm';
      import shared from 'shared';
      export const handler = async () => ({ greeting: greet('esm'), shared });`;
    await createFunction(
      'node-esm-layers',
      'nodejs20.x',
      'index.handler',
      { 'index.mjs': source, 'node_modules/shared/index.js': 'module.exports = "from the function";' },
      [lib.LayerVersionArn!],
    );
    assert.deepEqual(await invoke('node-esm-layers'), { greeting: 'hello esm', shared: 'from the function' });

    // A package in no layer fails to import as on Lambda.
    await createFunction(
      'node-esm-missing',
      'nodejs20.x',
      'index.handler',
      {
        'index.mjs': "import 'nowhere';\nexport const handler = async () => 1;",
      },
      [lib.LayerVersionArn!],
    );
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'node-esm-missing' }));
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(
      (JSON.parse(Buffer.from(out.Payload!).toString()) as { errorType: string }).errorType,
      'Runtime.ImportModuleError',
    );
  },
);

test('a Python function imports from its layer, and keeps it after the layer version is deleted', async () => {
  const layer = await publish('python-lib', {
    'python/greeting.py': 'def greet(who):\n    return "hello " + who\n',
    'python/lib/python3.12/site-packages/sitepkg.py': 'VALUE = "site-packages"\n',
  });
  const source = [
    'import greeting',
    'import sitepkg',
    '',
    'def handler(event, context):',
    '    return {"greeting": greeting.greet("python"), "site": sitepkg.VALUE}',
    '',
  ].join('\n');
  await createFunction('python-layers', 'python3.12', 'app.handler', { 'app.py': source }, [layer.LayerVersionArn!]);
  const published = await lambda.send(new PublishVersionCommand({ FunctionName: 'python-layers' }));
  assert.deepEqual(published.Layers, [{ Arn: layer.LayerVersionArn, CodeSize: layer.Content!.CodeSize }]);
  assert.deepEqual(await invoke('python-layers'), { greeting: 'hello python', site: 'site-packages' });

  // AWS keeps a deleted version's content for the functions that use it: after a restart (which sweeps unused
  // blobs and rebuilds the unpacked layers) a fresh environment still finds it.
  await lambda.send(new DeleteLayerVersionCommand({ LayerName: 'python-lib', VersionNumber: 1 }));
  edge = await restartTestEdge(edge);
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials, maxAttempts: 1 });
  assert.deepEqual(await invoke('python-layers'), { greeting: 'hello python', site: 'site-packages' });
  assert.deepEqual(await invoke('python-layers:1'), { greeting: 'hello python', site: 'site-packages' });
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'python-layers' }));
  assert.deepEqual(config.Layers, published.Layers);

  // The archive goes once neither $LATEST nor the published version uses it.
  const blob = layer.Content!.Location!.split('/').at(-1)!;
  const blobFile = path.join(edge.dataDir, 'blobs', blob.slice(0, 2), blob);
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'python-layers', Layers: [] }));
  assert.ok(existsSync(blobFile), 'version 1 still uses the layer');
  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'python-layers', Qualifier: '1' }));
  assert.ok(!existsSync(blobFile), 'nothing uses the layer');
});

test("a custom runtime's bootstrap comes from its layer, and runs the layer's bin/ tools from PATH", async () => {
  const executable = (text: string) => [strToU8(text), { os: 3, attrs: 0o100755 << 16 }] as [Uint8Array, object];
  const bootstrap = [
    '#!/bin/sh',
    'api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"',
    'while true; do',
    '  curl -sS -D "$TMPDIR/headers" -o /dev/null "$api/invocation/next" || exit 0',
    "  id=$(grep -i '^lambda-runtime-aws-request-id:' \"$TMPDIR/headers\" | cut -d: -f2 | tr -d ' \\r')",
    '  curl -sS -X POST -d "\\"$(layer-tool)\\"" "$api/invocation/$id/response" >/dev/null',
    'done',
    '',
  ].join('\n');
  const layer = await lambda.send(
    new PublishLayerVersionCommand({
      LayerName: 'custom-runtime',
      Content: {
        ZipFile: zipSync({
          bootstrap: executable(bootstrap),
          'bin/layer-tool': executable('#!/bin/sh\necho tool ran\n'),
        }),
      },
    }),
  );
  await createFunction('provided-layers', 'provided.al2023', 'unused', { 'README.txt': 'no bootstrap here' }, [
    layer.LayerVersionArn!,
  ]);
  assert.equal(await invoke('provided-layers'), 'tool ran');
});
