import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { zipSync, strToU8 } from 'fflate';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../src/client/aws-clients.ts';
import { buildPresignZip } from '../../src/functions/presign/bundle.ts';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { ensureLambdaRole } from '../helpers/iam.ts';

const execFileAsync = promisify(execFile);
const ROLE = 'arn:aws:iam::000000000000:role/ddn-presign-lambda-role';

let edge: TestEdge;
let dir: string;
let env: NodeJS.ProcessEnv;

/** Runs the aws CLI (v1) against the edge; resolves with stdout, or with the CLI's failure. */
async function aws(...args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('aws', args, { env });
    return { ok: true, stdout, stderr };
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    return { ok: false, stdout: e.stdout, stderr: e.stderr };
  }
}

async function awsJson(...args: string[]): Promise<Record<string, unknown>> {
  const res = await aws(...args);
  assert.ok(res.ok, res.stderr);
  return res.stdout.trim() === '' ? {} : (JSON.parse(res.stdout) as Record<string, unknown>);
}

before(async () => {
  edge = await startTestEdge({ DDN_IN_BUCKET: 'cli-in', DDN_OUT_BUCKET: 'cli-out' });
  env = edge.env;
  await ensureLambdaRole(edge, 'ddn-presign-lambda-role');
  dir = mkdtempSync(path.join(tmpdir(), 'ddn-lambda-cli-'));
  writeFileSync(path.join(dir, 'presign.zip'), await buildPresignZip());
  writeFileSync(
    path.join(dir, 'v2.zip'),
    zipSync({ 'index.mjs': strToU8(`export const handler = async () => ({ version: 2 });`) }),
  );
  await s3Client({ url: edge.url, region: edge.region, credentials: edge.credentials }).send(
    new CreateBucketCommand({ Bucket: 'cli-in' }),
  );
});

after(async () => {
  await edge.close();
  rmSync(dir, { recursive: true, force: true });
});

test('aws lambda: create-function from a zip, wait function-active, invoke returns a URL that accepts a curl PUT', async () => {
  const created = await awsJson(
    'lambda',
    'create-function',
    '--function-name',
    'ddn-presign-lambda',
    '--runtime',
    'nodejs20.x',
    '--handler',
    'index.handler',
    '--role',
    ROLE,
    '--timeout',
    '10',
    '--memory-size',
    '256',
    '--zip-file',
    `fileb://${path.join(dir, 'presign.zip')}`,
    '--environment',
    `Variables={DDN_IN_BUCKET=cli-in,DDN_OUT_BUCKET=cli-out,AWS_ENDPOINT_URL_S3=${edge.url}}`,
  );
  assert.equal(created.FunctionName, 'ddn-presign-lambda');
  assert.equal(created.Handler, 'index.handler');
  assert.equal(created.MemorySize, 256);
  assert.ok((await aws('lambda', 'wait', 'function-active', '--function-name', 'ddn-presign-lambda')).ok);

  const out = path.join(dir, 'out.json');
  const invoked = await awsJson(
    'lambda',
    'invoke',
    '--function-name',
    'ddn-presign-lambda',
    '--log-type',
    'Tail',
    '--payload',
    '{"queryStringParameters":{"mode":"upload","file":"k.tif"}}',
    out,
  );
  assert.equal(invoked.StatusCode, 200);
  assert.equal(invoked.FunctionError, undefined);
  assert.match(
    Buffer.from(String(invoked.LogResult), 'base64').toString(),
    /START RequestId: .*\n[\s\S]*END RequestId: .*\nREPORT RequestId: /,
  );
  const response = JSON.parse(readFileSync(out, 'utf8')) as { statusCode: number; body: string };
  assert.equal(response.statusCode, 200);
  const { url } = JSON.parse(response.body) as { url: string };
  assert.ok(url.startsWith(`${edge.url}/cli-in/k.tif?`), url);

  const image = path.join(dir, 'k.tif');
  writeFileSync(image, 'II*\0 pretend tiff');
  const { stdout: status } = await execFileAsync('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '-X',
    'PUT',
    '--data-binary',
    `@${image}`,
    url,
  ]);
  assert.equal(status, '200');
  const stored = await s3Client({ url: edge.url, region: edge.region, credentials: edge.credentials }).send(
    new GetObjectCommand({ Bucket: 'cli-in', Key: 'k.tif' }),
  );
  assert.equal(await stored.Body!.transformToString(), 'II*\0 pretend tiff');
});

test('aws lambda: add-permission (409 on a duplicate id), get-policy, remove-permission (404 when absent)', async () => {
  const args = [
    'lambda',
    'add-permission',
    '--function-name',
    'ddn-presign-lambda',
    '--statement-id',
    'apigateway-access',
    '--action',
    'lambda:InvokeFunction',
    '--principal',
    'apigateway.amazonaws.com',
    '--source-arn',
    'arn:aws:execute-api:us-east-1:000000000000:abc123/*/*',
  ];
  const added = await awsJson(...args);
  const statement = JSON.parse(String(added.Statement));
  assert.deepEqual(statement.Principal, { Service: 'apigateway.amazonaws.com' });
  assert.deepEqual(statement.Condition, {
    ArnLike: { 'AWS:SourceArn': 'arn:aws:execute-api:us-east-1:000000000000:abc123/*/*' },
  });

  const duplicate = await aws(...args);
  assert.equal(duplicate.ok, false);
  assert.match(duplicate.stderr, /ResourceConflictException/);
  assert.match(duplicate.stderr, /The statement id \(apigateway-access\) provided already exists/);

  const policy = JSON.parse(
    String((await awsJson('lambda', 'get-policy', '--function-name', 'ddn-presign-lambda')).Policy),
  );
  assert.equal(policy.Statement.length, 1);

  const absent = await aws(
    'lambda',
    'remove-permission',
    '--function-name',
    'ddn-presign-lambda',
    '--statement-id',
    'nope',
  );
  assert.equal(absent.ok, false);
  assert.match(absent.stderr, /ResourceNotFoundException/);
  assert.ok(
    (
      await aws(
        'lambda',
        'remove-permission',
        '--function-name',
        'ddn-presign-lambda',
        '--statement-id',
        'apigateway-access',
      )
    ).ok,
  );
  const gone = await aws('lambda', 'get-policy', '--function-name', 'ddn-presign-lambda');
  assert.match(gone.stderr, /ResourceNotFoundException/);
});

test('aws lambda: update-function-code, wait function-updated, invoke runs the new code', async () => {
  const updated = await awsJson(
    'lambda',
    'update-function-code',
    '--function-name',
    'ddn-presign-lambda',
    '--zip-file',
    `fileb://${path.join(dir, 'v2.zip')}`,
  );
  assert.equal(updated.LastUpdateStatus, 'Successful');
  assert.ok((await aws('lambda', 'wait', 'function-updated', '--function-name', 'ddn-presign-lambda')).ok);
  const out = path.join(dir, 'out2.json');
  await awsJson('lambda', 'invoke', '--function-name', 'ddn-presign-lambda', '--payload', '{}', out);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), { version: 2 });
});

test('aws sts get-caller-identity reads the account id; list/delete-function', async () => {
  const identity = await awsJson('sts', 'get-caller-identity');
  assert.equal(identity.Account, '000000000000');
  const listed = await awsJson('lambda', 'list-functions');
  assert.deepEqual(
    (listed.Functions as Array<{ FunctionName: string }>).map((f) => f.FunctionName),
    ['ddn-presign-lambda'],
  );
  assert.ok((await aws('lambda', 'delete-function', '--function-name', 'ddn-presign-lambda')).ok);
  const missing = await aws('lambda', 'get-function', '--function-name', 'ddn-presign-lambda');
  assert.match(
    missing.stderr,
    /ResourceNotFoundException.*Function not found: arn:aws:lambda:us-east-1:000000000000:function:ddn-presign-lambda/,
  );
});
