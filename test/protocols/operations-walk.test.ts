// Every operation of botocore's STS, IAM and Cognito user pool models, and of a sample of services the edge does not
// serve, is either implemented or answered 501 NotImplemented, naming it, in the format its clients parse: nothing
// falls through.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import {
  isNotImplemented,
  loadServiceModel,
  walkOperations,
  type ServiceModel,
  type WalkAnswer,
} from '../helpers/botocore-walk.ts';

const run = promisify(execFile);
let edge: TestEdge;

before(async () => {
  edge = await startTestEdge();
});
after(async () => {
  await edge.close();
});

/** The content type each protocol's 501 carries. */
const CONTENT_TYPES: Record<ServiceModel['protocol'], RegExp> = {
  query: /^text\/xml/,
  ec2: /^text\/xml/,
  json: /^application\/x-amz-json-1\.[01]$/,
  'rest-json': /^application\/json/,
  'rest-xml': /^application\/xml/,
};

/** Asserts the walk's verdict for every operation; returns the answers. */
async function walk(service: string, implemented: ReadonlySet<string>): Promise<WalkAnswer[]> {
  const model = loadServiceModel(service);
  const answers = await walkOperations(edge, model);
  assert.equal(answers.length, model.operations.length);
  for (const a of answers) {
    const where = `${service} ${a.operation}: ${a.status} ${a.body.slice(0, 300)}`;
    if (implemented.has(a.operation)) {
      assert.ok(!isNotImplemented(a) && a.status < 500, where);
      continue;
    }
    assert.ok(isNotImplemented(a), where);
    assert.match(a.contentType, CONTENT_TYPES[model.protocol], where);
    // The message names the operation: by name where the protocol carries it, by method and path otherwise.
    const named = model.protocol.startsWith('rest-')
      ? `${a.request.method} ${a.request.path.split('?')[0]}`
      : a.operation;
    assert.ok(a.error!.message.includes(named), `${where} (message should name ${named})`);
  }
  return answers;
}

test('STS: GetCallerIdentity and GetAccessKeyInfo are implemented, every other operation is 501 in query XML', async () => {
  const answers = await walk('sts', new Set(['GetCallerIdentity', 'GetAccessKeyInfo']));
  const identity = answers.find((a) => a.operation === 'GetCallerIdentity')!;
  assert.equal(identity.status, 200);
  assert.match(identity.body, /<Account>\d{12}<\/Account>/);
  const keyInfo = answers.find((a) => a.operation === 'GetAccessKeyInfo')!;
  assert.deepEqual([keyInfo.status, keyInfo.error?.code], [400, 'ValidationError'], 'the walk sends no AccessKeyId');
  const other = answers.find((a) => a.operation === 'AssumeRole')!;
  assert.match(other.body, /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
  assert.match(other.body, /<Type>Receiver<\/Type>/);
});

const IAM_OPERATIONS = [
  'CreateRole',
  'GetRole',
  'ListRoles',
  'DeleteRole',
  'UpdateAssumeRolePolicy',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'ListAttachedRolePolicies',
  'PutRolePolicy',
  'GetRolePolicy',
  'ListRolePolicies',
  'DeleteRolePolicy',
  'CreatePolicy',
  'GetPolicy',
  'ListPolicies',
  'DeletePolicy',
];

test('IAM: the role and policy operations are implemented, every other one is 501 in the IAM namespace', async () => {
  const answers = await walk('iam', new Set(IAM_OPERATIONS));
  assert.ok(answers.length > 100);
  const other = answers.find((a) => a.operation === 'CreateUser')!;
  assert.match(other.body, /xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"/);
  const listed = answers.find((a) => a.operation === 'ListRoles')!;
  assert.equal(listed.status, 200);
  const missing = answers.find((a) => a.operation === 'CreateRole')!;
  assert.deepEqual([missing.status, missing.error?.code], [400, 'ValidationError'], 'the walk sends no RoleName');
});

const COGNITO_OPERATIONS = [
  'CreateUserPool',
  'DescribeUserPool',
  'ListUserPools',
  'DeleteUserPool',
  'CreateUserPoolClient',
  'DescribeUserPoolClient',
  'ListUserPoolClients',
  'DeleteUserPoolClient',
  'AdminCreateUser',
  'AdminSetUserPassword',
  'AdminGetUser',
  'AdminDeleteUser',
  'ListUsers',
  'InitiateAuth',
  'RespondToAuthChallenge',
  'GetUser',
];

test('Cognito user pools: pools, clients, users and sign-in are implemented, the others are 501 in JSON', async () => {
  const answers = await walk('cognito-idp', new Set(COGNITO_OPERATIONS));
  const missing = answers.find((a) => a.operation === 'DescribeUserPool')!;
  const answer = [missing.status, missing.error?.code];
  assert.deepEqual(answer, [400, 'InvalidParameterException'], 'the walk sends no UserPoolId');
});

for (const service of ['dynamodb', 'sqs', 'sns', 'route53', 'ec2']) {
  test(`${service} (not served): every operation is 501 NotImplemented in its own protocol`, async () => {
    await walk(service, new Set());
  });
}

test('a bad signature for an unserved service is refused in that service protocol, before anything else', async () => {
  const wrong = { ...edge, credentials: { ...edge.credentials, secretAccessKey: 'wrong' } };
  const [dynamo] = await walkOperations(wrong, loadServiceModel('dynamodb'), [
    { name: 'ListTables', http: { method: 'POST', requestUri: '/' } },
  ]);
  assert.deepEqual([dynamo.status, dynamo.error?.code], [403, 'InvalidSignatureException']);
  const [iam] = await walkOperations(wrong, loadServiceModel('iam'), [
    { name: 'ListUsers', http: { method: 'POST', requestUri: '/' } },
  ]);
  assert.deepEqual([iam.status, iam.error?.code], [403, 'SignatureDoesNotMatch']);
});

test('real clients parse the 501: boto3 for six protocols, the aws CLI for IAM', async () => {
  const script = `
import boto3, json, botocore.exceptions as e
calls = {
  'iam': lambda c: c.list_users(), 'sts': lambda c: c.get_session_token(), 'dynamodb': lambda c: c.list_tables(),
  'sqs': lambda c: c.list_queues(), 'sns': lambda c: c.list_topics(), 'route53': lambda c: c.list_hosted_zones(),
  'ec2': lambda c: c.describe_regions(), 'cognito-idp': lambda c: c.list_groups(UserPoolId='us-east-1_abcdefghi'),
}
out = {}
for name, call in calls.items():
  try:
    call(boto3.client(name)); out[name] = 'no error'
  except e.ClientError as err:
    out[name] = [err.response['Error']['Code'], err.response['ResponseMetadata']['HTTPStatusCode'], err.response['Error']['Message']]
print(json.dumps(out))
`;
  const { stdout } = await run('python3', ['-c', script], { env: edge.env });
  const results = JSON.parse(stdout) as Record<string, [string, number, string]>;
  for (const [name, result] of Object.entries(results)) {
    assert.deepEqual(result.slice(0, 2), ['NotImplemented', 501], `${name}: ${JSON.stringify(result)}`);
  }
  assert.match(results.iam[2], /ListUsers/);
  const cli = await run('aws', ['iam', 'list-users'], { env: edge.env }).then(
    () => assert.fail('aws iam list-users should fail'),
    (err: { stderr: string }) => err.stderr,
  );
  assert.match(cli, /An error occurred \(NotImplemented\) when calling the ListUsers operation: .*ListUsers/);
});
