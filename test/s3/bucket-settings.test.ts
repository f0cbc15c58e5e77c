// The bucket settings platform scripts make, driven by the aws CLI as the scripts do, and boto3's conditional GETs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';

const run = promisify(execFile);
let edge: TestEdge;

before(async () => {
  edge = await startTestEdge();
});
after(async () => edge.close());

/** Runs `aws s3api ...`; returns the parsed JSON output (or {} for none). */
async function s3api(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run('aws', ['--endpoint-url', edge.url, 's3api', ...args], {
    env: edge.env,
    maxBuffer: 1 << 24,
  });
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
}

/** Runs a failing `aws s3api ...`; returns its stderr, which names the error code. */
async function s3apiError(...args: string[]): Promise<string> {
  try {
    await s3api(...args);
  } catch (err) {
    return (err as { stderr: string }).stderr;
  }
  assert.fail(`aws s3api ${args.join(' ')} should have failed`);
}

const BUCKET = 'settings-bucket';

test('aws s3api: create-bucket with a canned ACL and ownership, public access block, versioning, accelerate', async () => {
  await s3api('create-bucket', '--bucket', BUCKET, '--acl', 'private', '--object-ownership', 'BucketOwnerEnforced');
  assert.match(await s3apiError('get-public-access-block', '--bucket', BUCKET), /NoSuchPublicAccessBlockConfiguration/);
  const config = {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: false,
    RestrictPublicBuckets: true,
  };
  await s3api(
    'put-public-access-block',
    '--bucket',
    BUCKET,
    '--public-access-block-configuration',
    JSON.stringify(config),
  );
  assert.deepEqual((await s3api('get-public-access-block', '--bucket', BUCKET)).PublicAccessBlockConfiguration, config);
  await s3api('delete-public-access-block', '--bucket', BUCKET);
  assert.match(await s3apiError('get-public-access-block', '--bucket', BUCKET), /NoSuchPublicAccessBlockConfiguration/);

  await s3api('put-bucket-versioning', '--bucket', BUCKET, '--versioning-configuration', 'Status=Enabled');
  assert.equal((await s3api('get-bucket-versioning', '--bucket', BUCKET)).Status, 'Enabled');
  const put = await s3api('put-object', '--bucket', BUCKET, '--key', 'k');
  assert.match(put.VersionId as string, /^[A-Za-z0-9_-]{32}$/);

  assert.equal((await s3api('get-bucket-accelerate-configuration', '--bucket', BUCKET)).Status, undefined);
  await s3api(
    'put-bucket-accelerate-configuration',
    '--bucket',
    BUCKET,
    '--accelerate-configuration',
    'Status=Enabled',
  );
  assert.equal((await s3api('get-bucket-accelerate-configuration', '--bucket', BUCKET)).Status, 'Enabled');
});

test('aws s3api: bucket policy stored as JSON; a malformed one is MalformedPolicy and changes nothing', async () => {
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'read', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
    ],
  };
  assert.match(await s3apiError('get-bucket-policy', '--bucket', BUCKET), /NoSuchBucketPolicy/);
  await s3api('put-bucket-policy', '--bucket', BUCKET, '--policy', JSON.stringify(policy));
  assert.deepEqual(JSON.parse((await s3api('get-bucket-policy', '--bucket', BUCKET)).Policy as string), policy);
  assert.match(
    await s3apiError('put-bucket-policy', '--bucket', BUCKET, '--policy', '{"Statement": ['),
    /MalformedPolicy/,
  );
  const noEffect = { Statement: [{ Principal: '*', Action: 's3:*', Resource: '*' }] };
  assert.match(
    await s3apiError('put-bucket-policy', '--bucket', BUCKET, '--policy', JSON.stringify(noEffect)),
    /MalformedPolicy.*Effect/,
  );
  assert.deepEqual(JSON.parse((await s3api('get-bucket-policy', '--bucket', BUCKET)).Policy as string), policy);
  await s3api('delete-bucket-policy', '--bucket', BUCKET);
  assert.match(await s3apiError('get-bucket-policy', '--bucket', BUCKET), /NoSuchBucketPolicy/);
});

test('aws s3api: bucket and object tagging, x-amz-tagging on PUT and the tag count on GET', async () => {
  assert.match(await s3apiError('get-bucket-tagging', '--bucket', BUCKET), /NoSuchTagSet/);
  await s3api(
    'put-bucket-tagging',
    '--bucket',
    BUCKET,
    '--tagging',
    'TagSet=[{Key=env,Value=dev},{Key=team,Value=ml}]',
  );
  assert.deepEqual((await s3api('get-bucket-tagging', '--bucket', BUCKET)).TagSet, [
    { Key: 'env', Value: 'dev' },
    { Key: 'team', Value: 'ml' },
  ]);
  await s3api('delete-bucket-tagging', '--bucket', BUCKET);
  assert.match(await s3apiError('get-bucket-tagging', '--bucket', BUCKET), /NoSuchTagSet/);

  await s3api('put-object', '--bucket', BUCKET, '--key', 'tagged', '--tagging', 'a=1&b=two%20words');
  assert.deepEqual((await s3api('get-object-tagging', '--bucket', BUCKET, '--key', 'tagged')).TagSet, [
    { Key: 'a', Value: '1' },
    { Key: 'b', Value: 'two words' },
  ]);
  assert.equal((await s3api('get-object', '--bucket', BUCKET, '--key', 'tagged', '/dev/null')).TagCount, 2);
  await s3api(
    'put-object-tagging',
    '--bucket',
    BUCKET,
    '--key',
    'tagged',
    '--tagging',
    'TagSet=[{Key=only,Value=one}]',
  );
  assert.equal((await s3api('head-object', '--bucket', BUCKET, '--key', 'tagged')).TagCount, 1);
  assert.match(
    await s3apiError(
      'put-object-tagging',
      '--bucket',
      BUCKET,
      '--key',
      'tagged',
      '--tagging',
      'TagSet=[{Key=x,Value=1},{Key=x,Value=2}]',
    ),
    /InvalidTag/,
  );
  await s3api('delete-object-tagging', '--bucket', BUCKET, '--key', 'tagged');
  assert.deepEqual((await s3api('get-object-tagging', '--bucket', BUCKET, '--key', 'tagged')).TagSet, []);
});

test('aws s3api: default encryption, ownership controls, canned ACLs', async () => {
  const rules = (await s3api('get-bucket-encryption', '--bucket', BUCKET)).ServerSideEncryptionConfiguration as {
    Rules: unknown[];
  };
  assert.deepEqual(rules.Rules, [
    { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false },
  ]);
  const aes = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] };
  await s3api(
    'put-bucket-encryption',
    '--bucket',
    BUCKET,
    '--server-side-encryption-configuration',
    JSON.stringify(aes),
  );
  assert.deepEqual((await s3api('get-bucket-encryption', '--bucket', BUCKET)).ServerSideEncryptionConfiguration, aes);
  await s3api('delete-bucket-encryption', '--bucket', BUCKET);
  assert.equal((await s3api('head-object', '--bucket', BUCKET, '--key', 'k')).ServerSideEncryption, 'AES256');

  const ownership = async () => (await s3api('get-bucket-ownership-controls', '--bucket', BUCKET)).OwnershipControls;
  assert.deepEqual(await ownership(), { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  await s3api(
    'put-bucket-ownership-controls',
    '--bucket',
    BUCKET,
    '--ownership-controls',
    'Rules=[{ObjectOwnership=BucketOwnerPreferred}]',
  );
  assert.deepEqual(await ownership(), { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] });
  await s3api('delete-bucket-ownership-controls', '--bucket', BUCKET);
  assert.match(await s3apiError('get-bucket-ownership-controls', '--bucket', BUCKET), /OwnershipControlsNotFoundError/);

  await s3api('put-bucket-acl', '--bucket', BUCKET, '--acl', 'private');
  const acl = await s3api('get-bucket-acl', '--bucket', BUCKET);
  assert.deepEqual(
    (acl.Grants as Array<{ Permission: string }>).map((g) => g.Permission),
    ['FULL_CONTROL'],
  );
  await s3api('put-object', '--bucket', BUCKET, '--key', 'public', '--acl', 'public-read');
  const objectAcl = await s3api('get-object-acl', '--bucket', BUCKET, '--key', 'public');
  assert.deepEqual(
    (objectAcl.Grants as Array<{ Permission: string }>).map((g) => g.Permission),
    ['FULL_CONTROL'],
  );
  assert.match(
    await s3apiError(
      'put-object-acl',
      '--bucket',
      BUCKET,
      '--key',
      'public',
      '--grant-read',
      'uri=http://acs.amazonaws.com/groups/global/AllUsers',
    ),
    /NotImplemented/,
  );
});

test('CORS: an AllowedOrigin with more than one * is InvalidRequest, as S3 answers, and the old rules stay', async () => {
  await s3api(
    'put-bucket-cors',
    '--bucket',
    BUCKET,
    '--cors-configuration',
    JSON.stringify({ CORSRules: [{ AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET'] }] }),
  );
  const bad = { CORSRules: [{ AllowedOrigins: ['https://*.*.example.com'], AllowedMethods: ['GET'] }] };
  const stderr = await s3apiError('put-bucket-cors', '--bucket', BUCKET, '--cors-configuration', JSON.stringify(bad));
  assert.match(stderr, /InvalidRequest/);
  assert.match(stderr, /AllowedOrigin "https:\/\/\*\.\*\.example\.com" can not have more than one wildcard\./);
  const rules = (await s3api('get-bucket-cors', '--bucket', BUCKET)).CORSRules as Array<{ AllowedOrigins: string[] }>;
  assert.deepEqual(rules[0].AllowedOrigins, ['https://*.example.com']);
});

test('boto3 with default settings: 304 and 412 answers carry no checksum headers (no TypeError)', async () => {
  const script = `
import boto3, sys
from botocore.exceptions import ClientError
c = boto3.client('s3', endpoint_url=sys.argv[1])
c.create_bucket(Bucket='conditional')
etag = c.put_object(Bucket='conditional', Key='k', Body=b'hello', ChecksumAlgorithm='CRC32')['ETag']
for name, kwargs in (('304', {'IfNoneMatch': etag}), ('412', {'IfMatch': '"0123"'})):
    try:
        c.get_object(Bucket='conditional', Key='k', **kwargs)
        print(name, 'no error')
    except ClientError as e:
        r = e.response['ResponseMetadata']
        print(name, r['HTTPStatusCode'], sorted(h for h in r['HTTPHeaders'] if h.startswith('x-amz-checksum')))
print('200', c.get_object(Bucket='conditional', Key='k')['Body'].read().decode())
`;
  const { stdout } = await run('python3', ['-c', script, edge.url], { env: edge.env });
  assert.deepEqual(stdout.trim().split('\n'), ['304 304 []', '412 412 []', '200 hello']);
});

test('settings the edge cannot hold: reads answer as for a bucket that never had them, writes are 501', async () => {
  assert.match(
    await s3apiError('get-bucket-lifecycle-configuration', '--bucket', BUCKET),
    /NoSuchLifecycleConfiguration/,
  );
  const lifecycle = { Rules: [{ ID: 'expire', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }] };
  const put = await s3apiError(
    'put-bucket-lifecycle-configuration',
    '--bucket',
    BUCKET,
    '--lifecycle-configuration',
    JSON.stringify(lifecycle),
  );
  assert.match(put, /NotImplemented/);
  assert.match(put, /PutBucketLifecycleConfiguration/);
  await s3api('delete-bucket-lifecycle', '--bucket', BUCKET);
  assert.match(await s3apiError('get-bucket-website', '--bucket', BUCKET), /NoSuchWebsiteConfiguration/);
  assert.match(
    await s3apiError('get-object-lock-configuration', '--bucket', BUCKET),
    /ObjectLockConfigurationNotFoundError/,
  );
  assert.deepEqual(await s3api('get-bucket-logging', '--bucket', BUCKET), {});
  assert.equal((await s3api('get-bucket-request-payment', '--bucket', BUCKET)).Payer, 'BucketOwner');
});

test('boto3: versioned writes and the ListObjectVersions paginator', async () => {
  const script = `
import boto3, sys
c = boto3.client('s3', endpoint_url=sys.argv[1])
c.create_bucket(Bucket='boto-versions')
c.put_bucket_versioning(Bucket='boto-versions', VersioningConfiguration={'Status': 'Enabled'})
ids = [c.put_object(Bucket='boto-versions', Key=f'k{i % 2}', Body=b'x')['VersionId'] for i in range(5)]
marker = c.delete_object(Bucket='boto-versions', Key='k0')
seen = []
for page in c.get_paginator('list_object_versions').paginate(Bucket='boto-versions', PaginationConfig={'PageSize': 2}):
    seen += [v['VersionId'] for v in page.get('Versions', [])] + [m['VersionId'] for m in page.get('DeleteMarkers', [])]
print(len(set(ids)), marker['DeleteMarker'], sorted(seen) == sorted(ids + [marker['VersionId']]))
`;
  const { stdout } = await run('python3', ['-c', script, edge.url], { env: edge.env });
  assert.equal(stdout.trim(), '5 True True');
});
