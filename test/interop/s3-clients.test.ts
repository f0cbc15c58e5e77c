import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { sdkClient } from '../s3/helpers.ts';

const run = promisify(execFile);
let edge: TestEdge;
let dir: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  edge = await startTestEdge();
  dir = mkdtempSync(path.join(tmpdir(), 'ddn-interop-s3-'));
  env = edge.env;
});
after(async () => {
  await edge.close();
  rmSync(dir, { recursive: true, force: true });
});

const aws = (...args: string[]) => run('aws', ['--endpoint-url', edge.url, ...args], { env, maxBuffer: 1 << 24 });
const curl = (...args: string[]) =>
  run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', ...args], { env, maxBuffer: 1 << 24 });

test('aws CLI: mb, s3 cp above the multipart threshold, ls, s3api, presign with curl', async () => {
  await aws('s3', 'mb', 's3://cli-bucket');
  const file = path.join(dir, 'big.bin');
  const data = randomBytes(12 * 1024 * 1024);
  writeFileSync(file, data);
  await aws('s3', 'cp', file, 's3://cli-bucket/dir/big.bin');
  const ls = await aws('s3', 'ls', 's3://cli-bucket/dir/');
  assert.match(ls.stdout, /12582912 big\.bin/);
  const head = JSON.parse(
    (await aws('s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'dir/big.bin')).stdout,
  ) as { ETag: string; ContentLength: number };
  assert.match(head.ETag, /-2"$/, 'uploaded as multipart (8 MiB threshold)');
  const back = path.join(dir, 'back.bin');
  await aws('s3', 'cp', 's3://cli-bucket/dir/big.bin', back);
  assert.ok(readFileSync(back).equals(data));
  const url = (await aws('s3', 'presign', 's3://cli-bucket/dir/big.bin', '--expires-in', '120')).stdout.trim();
  const got = path.join(dir, 'presigned.bin');
  const { stdout: status } = await run('curl', ['-sS', '-o', got, '-w', '%{http_code}', url]);
  assert.equal(status, '200');
  assert.ok(readFileSync(got).equals(data));
  const { stdout: tampered } = await curl(url.replace('dir/big.bin', 'dir/other.bin'));
  assert.equal(tampered, '403');
});

test('boto3: presigned PUT/GET with SigV4 and SigV2, driven by curl', async () => {
  await aws('s3', 'mb', 's3://boto-bucket');
  const script = `
import boto3, sys
from botocore.config import Config
for version in ('s3v4', 's3'):
    c = boto3.client('s3', endpoint_url=sys.argv[1], config=Config(signature_version=version, s3={'addressing_style': 'path'}))
    print(c.generate_presigned_url('put_object', Params={'Bucket': 'boto-bucket', 'Key': f'{version}/a b.txt'}, ExpiresIn=120))
    print(c.generate_presigned_url('get_object', Params={'Bucket': 'boto-bucket', 'Key': f'{version}/a b.txt'}, ExpiresIn=120))
`;
  const { stdout } = await run('python3', ['-c', script, edge.url], { env });
  const [v4put, v4get, v2put, v2get] = stdout.trim().split('\n');
  assert.match(v4put, /X-Amz-Signature=/);
  assert.match(v2put, /AWSAccessKeyId=.*Signature=/);
  for (const [put, get, label] of [
    [v4put, v4get, 'v4'],
    [v2put, v2get, 'v2'],
  ]) {
    const body = path.join(dir, `${label}.txt`);
    writeFileSync(body, `content ${label}`);
    assert.equal((await curl('-T', body, put)).stdout, '200', `${label} PUT`);
    const out = path.join(dir, `${label}.out`);
    const { stdout: code } = await run('curl', ['-sS', '-o', out, '-w', '%{http_code}', get]);
    assert.equal(code, '200');
    assert.equal(readFileSync(out, 'utf8'), `content ${label}`);
    assert.equal((await curl('-T', body, get)).stdout, '403', `${label} GET URL refused for PUT`);
  }
  const expiredV2 = v2get.replace(/Expires=\d+/, `Expires=${Math.floor(Date.now() / 1000) - 10}`);
  assert.equal((await curl(expiredV2)).stdout, '403');
});

test('s3cmd: put, get, ls (SigV4 and SigV2 header auth)', async () => {
  const { host } = new URL(edge.url);
  const config = path.join(dir, 's3cfg');
  writeFileSync(
    config,
    `[default]\naccess_key = ${edge.credentials.accessKeyId}\nsecret_key = ${edge.credentials.secretAccessKey}\nhost_base = ${host}\nhost_bucket = ${host}\nuse_https = False\nbucket_location = ${edge.region}\n`,
  );
  const s3cmd = (...args: string[]) => run('s3cmd', ['-c', config, ...args], { env: { ...env, HOME: dir } });
  await s3cmd('mb', 's3://s3cmd-bucket');
  const file = path.join(dir, 's3cmd.txt');
  writeFileSync(file, 'from s3cmd');
  await s3cmd('put', file, 's3://s3cmd-bucket/one.txt');
  await s3cmd('--signature-v2', 'put', file, 's3://s3cmd-bucket/two.txt');
  const ls = await s3cmd('ls', 's3://s3cmd-bucket/');
  assert.match(ls.stdout, /s3:\/\/s3cmd-bucket\/one\.txt/);
  assert.match(ls.stdout, /s3:\/\/s3cmd-bucket\/two\.txt/);
  const out = path.join(dir, 's3cmd.out');
  await s3cmd('--signature-v2', 'get', 's3://s3cmd-bucket/one.txt', out);
  assert.equal(readFileSync(out, 'utf8'), 'from s3cmd');
  const got = await sdkClient(edge).send(new GetObjectCommand({ Bucket: 's3cmd-bucket', Key: 'two.txt' }));
  assert.equal(await got.Body!.transformToString(), 'from s3cmd');
});
