import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { handler, type PresignEvent } from '../../src/functions/presign/index.ts';
import { buildPresignZip } from '../../src/functions/presign/bundle.ts';

const execFileAsync = promisify(execFile);

const FUNCTION_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAPRESIGNTEST00000',
  AWS_SECRET_ACCESS_KEY: 'secret/presign/test',
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4599',
  DDN_IN_BUCKET: 'in-bucket',
  DDN_OUT_BUCKET: 'out-bucket',
};

/** Runs the handler with exactly `vars` as the function's variables (the test process's own are restored after). */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const key of [
    'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_S3',
    'DDN_S3_PRESIGN_EXPIRES',
    'DDN_S3_USE_ACCELERATE',
    'AWS_PROFILE',
  ])
    delete process.env[key];
  Object.assign(process.env, {
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  for (const [k, v] of Object.entries(vars))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

async function call(event: PresignEvent, vars: Record<string, string | undefined> = {}) {
  const response = await withEnv({ ...FUNCTION_ENV, ...vars }, () => handler(event));
  const json = response.statusCode === 200 ? (JSON.parse(response.body) as { url?: string }) : {};
  return { ...response, json };
}

test('mode=upload presigns a path-style PUT on DDN_IN_BUCKET at the configured endpoint, without checksum parameters', async () => {
  const res = await call({ queryStringParameters: { mode: 'upload', file: 'dir/k 1.tif' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/json');
  const url = new URL(res.json.url!);
  assert.equal(url.origin, 'http://127.0.0.1:4599');
  assert.equal(url.pathname, '/in-bucket/dir/k%201.tif');
  assert.equal(url.searchParams.get('X-Amz-Expires'), '3600');
  assert.equal(url.searchParams.get('x-id'), 'PutObject');
  assert.match(url.searchParams.get('X-Amz-Credential')!, /^AKIAPRESIGNTEST00000\/\d{8}\/us-east-1\/s3\/aws4_request$/);
  assert.equal(url.searchParams.get('x-amz-checksum-crc32'), null);
});

test('download is the default and presigns a GET on DDN_OUT_BUCKET; payload 1.0 and 2.0 events work', async () => {
  const v1 = await call({ queryStringParameters: { file: 'out.tif' }, headers: { Host: 'x' } });
  const v2 = await call({
    rawQueryString: 'file=out.tif&mode=download',
    queryStringParameters: { file: 'out.tif', mode: 'download' },
  });
  for (const res of [v1, v2]) {
    assert.equal(res.statusCode, 200);
    const url = new URL(res.json.url!);
    assert.equal(url.pathname, '/out-bucket/out.tif');
    assert.equal(url.searchParams.get('x-id'), 'GetObject');
  }
});

test('POST bodies: JSON, form and base64-encoded', async () => {
  const json = await call({
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ file: 'a.tif', mode: 'upload' }),
  });
  const form = await call({
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'file=b.tif&mode=upload',
  });
  const b64 = await call({
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: true,
    body: Buffer.from('{"file":"c.tif"}').toString('base64'),
  });
  assert.equal(new URL(json.json.url!).pathname, '/in-bucket/a.tif');
  assert.equal(new URL(form.json.url!).pathname, '/in-bucket/b.tif');
  assert.equal(new URL(b64.json.url!).pathname, '/out-bucket/c.tif');
  const bad = await call({ headers: { 'content-type': 'application/json' }, body: '{not json' });
  assert.equal(bad.statusCode, 400);
});

test('bad input: missing/empty file, unknown mode, keys S3 refuses', async () => {
  for (const event of [{}, { queryStringParameters: null }, { queryStringParameters: { file: '' } }, null]) {
    const res = await call(event as PresignEvent);
    assert.equal(res.statusCode, 400);
    assert.equal(res.body, 'file parameter is required', 'plain text, as the original function answered');
    assert.match(res.headers['content-type'], /^text\/plain/);
  }
  const mode = await call({ queryStringParameters: { file: 'k', mode: 'delete' } });
  assert.equal(mode.statusCode, 400);
  assert.match(mode.body, /upload/);
  assert.match(mode.body, /download/);
  const both = await call({ queryStringParameters: { mode: 'delete' } });
  assert.equal(both.body, 'file parameter is required', 'a missing file is reported before a bad mode');
  assert.equal(
    (await call({ queryStringParameters: { file: 'é'.repeat(512) } })).statusCode,
    200,
    '1024 bytes is allowed',
  );
  assert.equal(
    (await call({ queryStringParameters: { file: 'é'.repeat(512) + 'x' } })).statusCode,
    400,
    '1025 bytes is not',
  );
  assert.equal((await call({ queryStringParameters: { file: 'a\ud800b' } })).statusCode, 400, 'lone surrogate');
  const invalidUtf8 = await call({
    rawQueryString: 'file=%FF%FE.tif',
    queryStringParameters: { file: '\ufffd\ufffd.tif' },
  });
  assert.equal(invalidUtf8.statusCode, 400);
  assert.match(invalidUtf8.body, /UTF-8/);
});

test('expiry is DDN_S3_PRESIGN_EXPIRES capped at 604800; accelerate applies without an endpoint override', async () => {
  const short = await call({ queryStringParameters: { file: 'k' } }, { DDN_S3_PRESIGN_EXPIRES: '60' });
  assert.equal(new URL(short.json.url!).searchParams.get('X-Amz-Expires'), '60');
  const capped = await call({ queryStringParameters: { file: 'k' } }, { DDN_S3_PRESIGN_EXPIRES: '99999999' });
  assert.equal(new URL(capped.json.url!).searchParams.get('X-Amz-Expires'), '604800');
  const accelerated = await call(
    { queryStringParameters: { file: 'k' } },
    { AWS_ENDPOINT_URL_S3: undefined, DDN_S3_USE_ACCELERATE: 'true' },
  );
  assert.equal(new URL(accelerated.json.url!).host, 'out-bucket.s3-accelerate.amazonaws.com');
});

test('any other failure is a 500 without internals', async () => {
  const res = await call(
    { queryStringParameters: { file: 'k' } },
    { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined },
  );
  assert.equal(res.statusCode, 500);
  assert.equal(res.body, 'Error generating presigned URL');
});

test('the zip: index.js alone, runs as index.handler on a payload 2.0 event with no node_modules anywhere', async () => {
  const files = unzipSync(await buildPresignZip());
  assert.deepEqual(Object.keys(files), ['index.js']);
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-presign-zip-'));
  try {
    writeFileSync(path.join(dir, 'index.js'), files['index.js']);
    assert.equal(existsSync(path.join(dir, 'node_modules')), false);
    const event = {
      version: '2.0',
      routeKey: 'GET /presign',
      rawPath: '/presign',
      rawQueryString: 'mode=upload&file=k.tif',
      headers: { host: 'abc.execute-api.localhost' },
      queryStringParameters: { mode: 'upload', file: 'k.tif' },
      requestContext: { http: { method: 'GET', path: '/presign' }, stage: '$default' },
      isBase64Encoded: false,
    };
    const script = `require('./index.js').handler(${JSON.stringify(event)}).then((r) => process.stdout.write(JSON.stringify(r)))`;
    const { stdout } = await execFileAsync(process.execPath, ['-e', script], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        ...FUNCTION_ENV,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
    });
    const response = JSON.parse(stdout);
    assert.equal(response.statusCode, 200);
    assert.equal(new URL(JSON.parse(response.body).url).pathname, '/in-bucket/k.tif');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
