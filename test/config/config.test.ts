import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, loadDotenv } from '../../src/config/index.ts';
import { resolveEdgeCredentials } from '../../src/state/credentials.ts';
import { runDdn } from '../helpers/ddn-up.ts';

test('defaults are those of the original scripts', () => {
  const c = loadConfig({}, '/work');
  assert.equal(c.edgeHost, '127.0.0.1');
  assert.equal(c.edgePort, 4566);
  assert.equal(c.dataDir, '/work/.ddn');
  assert.deepEqual([c.inBucket, c.outBucket], ['ddn-in-bucket', 'ddn-out-bucket']);
  assert.deepEqual([c.region, c.accountId], ['us-east-1', '000000000000']);
  assert.equal(c.lambdaFunctionName, 'ddn-presign-lambda');
  assert.equal(c.apiName, 'ddn-api');
  assert.equal(c.presignExpires, 3600);
  assert.equal(c.inferencePort, 50101);
});

test('every invalid variable is named in one error; the presign expiry is capped at 7 days', () => {
  assert.throws(
    () => loadConfig({ DDN_EDGE_PORT: '99999', DDN_IN_BUCKET: 'Bad_Bucket', ACCOUNT_ID: '12' }),
    (e: ConfigError) =>
      e instanceof ConfigError &&
      /DDN_EDGE_PORT/.test(e.message) &&
      /DDN_IN_BUCKET/.test(e.message) &&
      /ACCOUNT_ID/.test(e.message),
  );
  assert.equal(loadConfig({ DDN_S3_PRESIGN_EXPIRES: '9999999' }).presignExpires, 604800);
  assert.equal(loadConfig({ DDN_S3_USE_ACCELERATE: 'true' }).useAccelerate, true);
  assert.equal(loadConfig({ DDN_S3_USE_ACCELERATE: 'no' }).useAccelerate, false);
});

test('.env is read, and real environment variables win over it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-config-'));
  try {
    writeFileSync(path.join(dir, '.env'), '# comment\nDDN_IN_BUCKET=from-dotenv\nDDN_OUT_BUCKET=from-dotenv-out\n');
    const env: NodeJS.ProcessEnv = { DDN_OUT_BUCKET: 'from-environment' };
    assert.equal(loadDotenv(dir, env), path.join(dir, '.env'));
    const c = loadConfig(env);
    assert.equal(c.inBucket, 'from-dotenv');
    assert.equal(c.outBucket, 'from-environment');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ddn env prints export lines of the configured key pair; a bad variable exits 2 naming it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-env-'));
  try {
    const env = {
      ...process.env,
      DDN_DATA_DIR: dir,
      DDN_LOCAL_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      DDN_LOCAL_SECRET_ACCESS_KEY: 's3cr3t/+',
      DDN_EDGE_PORT: '4999',
      AWS_REGION: 'eu-west-1',
    };
    const out = await runDdn(['env'], dir, env);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^export AWS_ACCESS_KEY_ID=AKIAEXAMPLE$/m);
    assert.match(out.stdout, /^export AWS_SECRET_ACCESS_KEY=s3cr3t\/\+$/m);
    assert.match(out.stdout, /^export AWS_DEFAULT_REGION=eu-west-1$/m);
    assert.match(out.stdout, /^export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:4999$/m);
    const bad = await runDdn(['env'], dir, { ...env, DDN_EDGE_PORT: 'port' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /DDN_EDGE_PORT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a configured pair, ddn env prints the one kept in the data directory, and never makes one', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-env-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, DDN_DATA_DIR: dir };
    delete env.DDN_LOCAL_ACCESS_KEY_ID;
    delete env.DDN_LOCAL_SECRET_ACCESS_KEY;
    const none = await runDdn(['env', '--json'], dir, env);
    assert.equal(none.code, 1);
    assert.deepEqual(readdirSync(dir), []);
    const stored = resolveEdgeCredentials(dir);
    const first = await runDdn(['env', '--json'], dir, env);
    assert.equal(first.code, 0, first.stderr);
    const a = JSON.parse(first.stdout);
    assert.equal(a.AWS_ACCESS_KEY_ID, stored.accessKeyId);
    assert.equal(a.AWS_SECRET_ACCESS_KEY, stored.secretAccessKey);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sign-in is off unless DDN_AUTH=cognito; another value is named in the error', () => {
  const off = loadConfig({});
  assert.equal(off.auth, 'none');
  assert.equal(off.apiToken, undefined);
  const on = loadConfig({
    DDN_AUTH: 'cognito',
    DDN_COGNITO_ISSUER: 'http://127.0.0.1:4566/us-east-1_abc/',
    DDN_API_TOKEN: ' t ',
  });
  assert.equal(on.auth, 'cognito');
  assert.equal(on.cognitoIssuer, 'http://127.0.0.1:4566/us-east-1_abc');
  assert.equal(on.apiToken, 't');
  assert.throws(() => loadConfig({ DDN_AUTH: 'oauth' }), /DDN_AUTH: .*\(got "oauth"\)/);
});
