import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { awsCli, fieldOf } from '../helpers/aws-cli.ts';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const S3_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::ddn-in-bucket/*' }],
});

let edge: TestEdge;
const cli = awsCli(() => edge.env);
const { json: awsJson, error: awsError } = cli;
let dir: string;

before(async () => {
  edge = await startTestEdge();
  dir = mkdtempSync(path.join(tmpdir(), 'ddn-iam-cli-'));
  writeFileSync(path.join(dir, 'trust.json'), TRUST);
  writeFileSync(path.join(dir, 's3.json'), S3_POLICY);
});

after(async () => {
  await edge.close();
  rmSync(dir, { recursive: true, force: true });
});

test("aws iam: the original scripts' calls — create-role from a file, attach, get, detach, delete", async () => {
  const created = await awsJson(
    'iam',
    'create-role',
    '--role-name',
    'ddn-presign-role',
    '--assume-role-policy-document',
    `file://${path.join(dir, 'trust.json')}`,
  );
  const role = created.Role;
  assert.equal(role.RoleName, 'ddn-presign-role');
  assert.equal(role.Path, '/');
  assert.equal(role.Arn, 'arn:aws:iam::000000000000:role/ddn-presign-role');
  assert.match(role.RoleId, /^AROA[A-Z0-9]{17}$/);
  assert.match(role.CreateDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$/);
  assert.deepEqual(role.AssumeRolePolicyDocument, JSON.parse(TRUST), 'the CLI decodes the URL-encoded document');

  await awsJson(
    'iam',
    'attach-role-policy',
    '--role-name',
    'ddn-presign-role',
    '--policy-arn',
    'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  );
  await awsJson(
    'iam',
    'attach-role-policy',
    '--role-name',
    'ddn-presign-role',
    '--policy-arn',
    'arn:aws:iam::aws:policy/AmazonS3FullAccess',
  );
  const attached = await awsJson('iam', 'list-attached-role-policies', '--role-name', 'ddn-presign-role');
  assert.deepEqual(attached.AttachedPolicies, [
    {
      PolicyName: 'AWSLambdaBasicExecutionRole',
      PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    },
    { PolicyName: 'AmazonS3FullAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' },
  ]);

  const got = await awsJson('iam', 'get-role', '--role-name', 'ddn-presign-role');
  assert.equal(got.Role.RoleId, role.RoleId);
  assert.equal(got.Role.MaxSessionDuration, 3600);
  assert.deepEqual(got.Role.AssumeRolePolicyDocument, JSON.parse(TRUST));
  assert.deepEqual(got.Role.RoleLastUsed, {});

  const conflict = await awsError('iam', 'delete-role', '--role-name', 'ddn-presign-role');
  assert.match(
    conflict,
    /\(DeleteConflict\) when calling the DeleteRole operation: Cannot delete entity, must detach all policies first\./,
  );

  await awsJson(
    'iam',
    'detach-role-policy',
    '--role-name',
    'ddn-presign-role',
    '--policy-arn',
    'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  );
  await awsJson(
    'iam',
    'detach-role-policy',
    '--role-name',
    'ddn-presign-role',
    '--policy-arn',
    'arn:aws:iam::aws:policy/AmazonS3FullAccess',
  );
  const notAttached = await awsError(
    'iam',
    'detach-role-policy',
    '--role-name',
    'ddn-presign-role',
    '--policy-arn',
    'arn:aws:iam::aws:policy/AmazonS3FullAccess',
  );
  assert.match(notAttached, /\(NoSuchEntity\) .*: Policy arn:aws:iam::aws:policy\/AmazonS3FullAccess was not found\./);

  await awsJson('iam', 'delete-role', '--role-name', 'ddn-presign-role');
  const gone = await awsError('iam', 'get-role', '--role-name', 'ddn-presign-role');
  assert.match(
    gone,
    /\(NoSuchEntity\) when calling the GetRole operation: The role with name ddn-presign-role cannot be found\./,
  );
});

test('aws iam: names are unique in any case; bad trust policies are MalformedPolicyDocument', async () => {
  await awsJson(
    'iam',
    'create-role',
    '--role-name',
    'Dup',
    '--assume-role-policy-document',
    TRUST,
    '--path',
    '/svc/',
    '--description',
    'first',
  );
  const dup = await awsError('iam', 'create-role', '--role-name', 'dup', '--assume-role-policy-document', TRUST);
  assert.match(
    dup,
    /\(EntityAlreadyExists\) when calling the CreateRole operation: Role with name dup already exists\./,
  );
  const got = await awsJson('iam', 'get-role', '--role-name', 'dup');
  assert.equal(got.Role.RoleName, 'Dup');
  assert.equal(got.Role.Arn, 'arn:aws:iam::000000000000:role/svc/Dup');
  assert.equal(got.Role.Description, 'first');

  const withResource = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Resource: '*' }],
  });
  assert.match(
    await awsError('iam', 'create-role', '--role-name', 'bad1', '--assume-role-policy-document', withResource),
    /\(MalformedPolicyDocument\) .*: Has prohibited field Resource/,
  );
  assert.match(
    await awsError('iam', 'create-role', '--role-name', 'bad2', '--assume-role-policy-document', '{not json'),
    /\(MalformedPolicyDocument\) .*: Syntax errors in policy\./,
  );
  assert.match(await awsError('iam', 'get-role', '--role-name', 'bad1'), /NoSuchEntity/);
  assert.match(
    await awsError('iam', 'create-role', '--role-name', 'bad name', '--assume-role-policy-document', TRUST),
    /\(ValidationError\) .*roleName.*\[\\w\+=,\.@-\]\+/,
  );

  const newTrust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
  await awsJson('iam', 'update-assume-role-policy', '--role-name', 'Dup', '--policy-document', newTrust);
  assert.deepEqual(
    (await awsJson('iam', 'get-role', '--role-name', 'Dup')).Role.AssumeRolePolicyDocument,
    JSON.parse(newTrust),
  );
  await awsJson('iam', 'delete-role', '--role-name', 'DUP');
});

test('aws iam: inline policies — put, get, list, delete; a role with one cannot be deleted', async () => {
  await awsJson('iam', 'create-role', '--role-name', 'inline', '--assume-role-policy-document', TRUST);
  await awsJson(
    'iam',
    'put-role-policy',
    '--role-name',
    'inline',
    '--policy-name',
    's3-access',
    '--policy-document',
    `file://${path.join(dir, 's3.json')}`,
  );
  const got = await awsJson('iam', 'get-role-policy', '--role-name', 'inline', '--policy-name', 's3-access');
  assert.deepEqual(got, { RoleName: 'inline', PolicyName: 's3-access', PolicyDocument: JSON.parse(S3_POLICY) });
  assert.deepEqual((await awsJson('iam', 'list-role-policies', '--role-name', 'inline')).PolicyNames, ['s3-access']);
  assert.match(
    await awsError('iam', 'delete-role', '--role-name', 'inline'),
    /DeleteConflict.*must delete policies first/,
  );

  const withPrincipal = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }],
  });
  assert.match(
    await awsError(
      'iam',
      'put-role-policy',
      '--role-name',
      'inline',
      '--policy-name',
      'p',
      '--policy-document',
      withPrincipal,
    ),
    /MalformedPolicyDocument.*should not specify a principal/,
  );
  const noResource = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*' }] });
  assert.match(
    await awsError(
      'iam',
      'put-role-policy',
      '--role-name',
      'inline',
      '--policy-name',
      'p',
      '--policy-document',
      noResource,
    ),
    /Policy statement must contain resources\./,
  );

  assert.match(
    await awsError('iam', 'get-role-policy', '--role-name', 'inline', '--policy-name', 'nope'),
    /\(NoSuchEntity\) .*The role policy with name nope cannot be found\./,
  );
  await awsJson('iam', 'delete-role-policy', '--role-name', 'inline', '--policy-name', 's3-access');
  assert.deepEqual((await awsJson('iam', 'list-role-policies', '--role-name', 'inline')).PolicyNames, []);
  await awsJson('iam', 'delete-role', '--role-name', 'inline');
});

test('aws iam: customer managed policies — create, get, list, attach by ARN, delete only when detached', async () => {
  const created = (
    await awsJson(
      'iam',
      'create-policy',
      '--policy-name',
      'ddn-s3',
      '--policy-document',
      S3_POLICY,
      '--description',
      'buckets',
    )
  ).Policy;
  assert.equal(created.Arn, 'arn:aws:iam::000000000000:policy/ddn-s3');
  assert.match(created.PolicyId, /^ANPA[A-Z0-9]{17}$/);
  assert.equal(created.DefaultVersionId, 'v1');
  assert.equal(created.AttachmentCount, 0);
  assert.match(
    await awsError('iam', 'create-policy', '--policy-name', 'DDN-S3', '--policy-document', S3_POLICY),
    /EntityAlreadyExists.*A policy called DDN-S3 already exists\. Duplicate names are not allowed\./,
  );

  await awsJson('iam', 'create-role', '--role-name', 'managed', '--assume-role-policy-document', TRUST);
  await awsJson('iam', 'attach-role-policy', '--role-name', 'managed', '--policy-arn', created.Arn);
  const got = (await awsJson('iam', 'get-policy', '--policy-arn', created.Arn)).Policy;
  assert.equal(got.AttachmentCount, 1);
  assert.equal(got.Description, 'buckets');
  const listed = await awsJson('iam', 'list-policies', '--scope', 'Local');
  assert.deepEqual(fieldOf(listed.Policies, 'PolicyName'), ['ddn-s3']);

  const missing = 'arn:aws:iam::000000000000:policy/none';
  assert.match(
    await awsError('iam', 'attach-role-policy', '--role-name', 'managed', '--policy-arn', missing),
    /NoSuchEntity.*Policy arn:aws:iam::000000000000:policy\/none does not exist or is not attachable\./,
  );
  assert.match(
    await awsError('iam', 'get-policy', '--policy-arn', missing),
    /NoSuchEntity.*Policy arn:aws:iam::000000000000:policy\/none was not found\./,
  );
  assert.match(
    await awsError('iam', 'delete-policy', '--policy-arn', created.Arn),
    /DeleteConflict.*Cannot delete a policy attached to entities\./,
  );
  await awsJson('iam', 'detach-role-policy', '--role-name', 'managed', '--policy-arn', created.Arn);
  await awsJson('iam', 'delete-policy', '--policy-arn', created.Arn);
  await awsJson('iam', 'delete-role', '--role-name', 'managed');
});

test('aws iam: list-roles pages with Marker; other IAM operations are 501 NotImplemented in XML', async () => {
  for (const name of ['page-a', 'page-b', 'page-c'])
    await awsJson('iam', 'create-role', '--role-name', name, '--assume-role-policy-document', TRUST);
  const first = await awsJson('iam', 'list-roles', '--max-items', '2', '--path-prefix', '/');
  assert.deepEqual(fieldOf(first.Roles, 'RoleName'), ['page-a', 'page-b']);
  assert.ok(first.NextToken);
  const rest = await awsJson('iam', 'list-roles', '--starting-token', first.NextToken);
  assert.deepEqual(fieldOf(rest.Roles, 'RoleName'), ['page-c']);

  const users = await awsError('iam', 'create-user', '--user-name', 'someone');
  assert.match(users, /\(NotImplemented\) when calling the CreateUser operation/);
  const res = await fetch(`${edge.url}/?Action=ListUsers&Version=2010-05-08`);
  assert.notEqual(res.status, 200, 'an unsigned IAM call is not served');
});
