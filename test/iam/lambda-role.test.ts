import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { zipSync, strToU8 } from 'fflate';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { startTestEdge } from '../helpers/edge.ts';
import { buildDeclaration } from '../../src/deploy/declaration.ts';
import { deploy, deployClients, destroy } from '../../src/deploy/index.ts';

const execFileAsync = promisify(execFile);
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

test("create-function and update-function-configuration refuse a local role IAM lacks, in Lambda's words", async () => {
  const edge = await startTestEdge();
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-role-'));
  const aws = (...args: string[]) =>
    execFileAsync('aws', args, { env: edge.env }).then(
      ({ stdout }) => ({ ok: true, out: stdout }),
      (err: { stderr: string }) => ({ ok: false, out: err.stderr }),
    );
  try {
    writeFileSync(path.join(dir, 'fn.zip'), zipSync({ 'index.mjs': strToU8('export const handler = async () => 1;') }));
    const create = (role: string, name = 'fn') =>
      aws(
        'lambda',
        'create-function',
        '--function-name',
        name,
        '--runtime',
        'nodejs20.x',
        '--handler',
        'index.handler',
        '--role',
        role,
        '--zip-file',
        `fileb://${path.join(dir, 'fn.zip')}`,
      );

    const missing = await create('arn:aws:iam::000000000000:role/ddn-missing');
    assert.equal(missing.ok, false);
    const lambdaMessage = 'The role defined for the function cannot be assumed by Lambda.';
    assert.match(missing.out, /\(InvalidParameterValueException\) when calling the CreateFunction operation: /);
    assert.ok(missing.out.includes(lambdaMessage), missing.out);
    assert.match(
      (await aws('lambda', 'get-function', '--function-name', 'fn')).out,
      /ResourceNotFoundException/,
      'nothing was created',
    );

    assert.ok(
      (await create('arn:aws:iam::111122223333:role/elsewhere', 'other-account')).ok,
      "another account's roles are not this edge's to check",
    );

    await aws(
      'iam',
      'create-role',
      '--role-name',
      'ddn-exec',
      '--path',
      '/service-role/',
      '--assume-role-policy-document',
      TRUST,
    );
    assert.equal((await create('arn:aws:iam::000000000000:role/ddn-exec')).ok, false, 'the path is part of the ARN');
    const created = await create('arn:aws:iam::000000000000:role/service-role/ddn-exec');
    assert.ok(created.ok, created.out);
    const update = await aws(
      'lambda',
      'update-function-configuration',
      '--function-name',
      'fn',
      '--role',
      'arn:aws:iam::000000000000:role/ddn-missing',
    );
    assert.match(
      update.out,
      /InvalidParameterValueException.*The role defined for the function cannot be assumed by Lambda\./,
    );
  } finally {
    await edge.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deploy creates the execution role it needs on the edge; destroy --all deletes it', async () => {
  const edge = await startTestEdge();
  try {
    const clients = deployClients({ url: edge.url, region: edge.region, credentials: edge.credentials });
    const declaration = buildDeclaration(edge.config, {
      albDns: '127.0.0.1:9',
      s3Endpoint: edge.url,
      placeholderRole: true,
    });
    const code = zipSync({ 'index.mjs': strToU8('export const handler = async () => 1;') });
    const first = await deploy(clients, declaration, code);
    const kinds = first.plan.changes.map((c) => c.kind);
    assert.equal(kinds.indexOf('createRole') + 1, kinds.indexOf('createFunction'), 'the role just before the function');
    const role = (await clients.iam.send(new GetRoleCommand({ RoleName: 'ddn-presign-lambda-role' }))).Role!;
    assert.match(role.AssumeRolePolicyDocument!, /^%7B%22Version%22%3A/, 'URL-encoded on the wire, as IAM sends it');
    assert.deepEqual(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)).Statement[0].Principal, {
      Service: 'lambda.amazonaws.com',
    });
    const attached = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role.RoleName }));
    assert.deepEqual(
      attached.AttachedPolicies?.map((p) => p.PolicyName),
      ['AWSLambdaBasicExecutionRole'],
    );
    const inline = await clients.iam.send(
      new GetRolePolicyCommand({ RoleName: role.RoleName, PolicyName: 'ddn-buckets' }),
    );
    assert.deepEqual(JSON.parse(decodeURIComponent(inline.PolicyDocument!)).Statement[0].Resource, [
      'arn:aws:s3:::ddn-in-bucket/*',
      'arn:aws:s3:::ddn-out-bucket/*',
    ]);
    const fn = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ddn-presign-lambda' }));
    assert.equal(fn.Role, role.Arn);
    assert.deepEqual((await deploy(clients, declaration, code)).plan.changes, [], 'a second deploy plans nothing');

    const destroyed = await destroy(clients, declaration, { all: true, force: true });
    assert.equal(destroyed.roleDeleted, true);
    await assert.rejects(clients.iam.send(new GetRoleCommand({ RoleName: 'ddn-presign-lambda-role' })), {
      name: 'NoSuchEntityException',
    });
  } finally {
    await edge.close();
  }
});
