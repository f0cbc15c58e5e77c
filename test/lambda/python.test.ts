// Python functions on the edge: boto3 reaches the edge with no code change (a current boto3, which reads
// AWS_ENDPOINT_URL, and Debian's older one, which the bootstrap points there), presigned URLs included; an
// interpreter without boto3; the python3 stand-in for a python3.X that is not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { zipSync, strToU8 } from 'fflate';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, type Runtime } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../src/client/aws-clients.ts';
import { waitForFunction } from '../../src/deploy/apply.ts';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { ensureLambdaRole } from '../helpers/iam.ts';
import { fixtureZip } from './behaviour-fixtures.ts';

const execFileAsync = promisify(execFile);
const ROLE = 'arn:aws:iam::000000000000:role/python';
const DEBIAN_PYTHON = '/usr/bin/python3.11';

let edge: TestEdge;
let lambda: LambdaClient;
let dir: string;

before(async () => {
  edge = await startTestEdge();
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials });
  await ensureLambdaRole(edge, 'python');
  dir = mkdtempSync(path.join(tmpdir(), 'ddn-python-'));
  const s3 = s3Client({ url: edge.url, region: edge.region, credentials: edge.credentials });
  await s3.send(new CreateBucketCommand({ Bucket: 'py-bucket' }));
  await s3.send(new PutObjectCommand({ Bucket: 'py-bucket', Key: 'hello.txt', Body: 'hello from the edge' }));
});

after(async () => {
  await edge.close();
  rmSync(dir, { recursive: true, force: true });
});

async function create(
  name: string,
  runtime: Runtime,
  zip: Uint8Array,
  handler = 'lambda_function.lambda_handler',
): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: runtime,
      Handler: handler,
      Role: ROLE,
      Timeout: 30,
      Code: { ZipFile: zip },
    }),
  );
  await waitForFunction(lambda, name);
}

/** `aws lambda invoke` with the CLI; returns the payload and the decoded Tail log. */
async function cliInvoke(
  name: string,
  event: object,
): Promise<{ payload: Record<string, unknown>; functionError?: string; log: string }> {
  const out = path.join(dir, `${name}.json`);
  const { stdout } = await execFileAsync(
    'aws',
    ['lambda', 'invoke', '--function-name', name, '--payload', JSON.stringify(event), '--log-type', 'Tail', out],
    { env: edge.env },
  );
  const meta = JSON.parse(stdout) as { FunctionError?: string; LogResult?: string };
  const payload = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  return {
    payload,
    functionError: meta.FunctionError,
    log: Buffer.from(meta.LogResult ?? '', 'base64').toString('utf8'),
  };
}

/** Runs `body` with the edge looking up interpreters on `PATH` (environments started meanwhile use it). */
async function withPath<T>(PATH: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = PATH;
  try {
    return await body();
  } finally {
    process.env.PATH = saved;
  }
}

async function checkBoto3(name: string): Promise<string> {
  const { payload, functionError } = await cliInvoke(name, { action: 'boto3', bucket: 'py-bucket', key: 'hello.txt' });
  assert.equal(functionError, undefined, JSON.stringify(payload));
  assert.ok((payload.buckets as string[]).includes('py-bucket'), 'list_buckets reached the edge');
  const url = payload.url as string;
  assert.ok(url.startsWith(`${edge.url}/py-bucket/hello.txt?`), url);
  const { stdout } = await execFileAsync('curl', ['-sS', '--fail', url]);
  assert.equal(stdout, 'hello from the edge', 'curl downloads through the presigned URL');
  return payload.boto3 as string;
}

test("boto3 in a Python function lists the edge's buckets and presigns a URL that curl uses", async () => {
  await create('py-boto3', 'python3.11', fixtureZip('python'));
  await checkBoto3('py-boto3');
});

/** The boto3 version of Debian's python3.11 when it is older than 1.28 (the test below needs one). */
function olderDebianBoto3(): string | undefined {
  if (!existsSync(DEBIAN_PYTHON)) return undefined;
  try {
    const version = execFileSync(DEBIAN_PYTHON, ['-c', 'import boto3; print(boto3.__version__)'], {
      encoding: 'utf8',
    }).trim();
    const [major, minor] = version.split('.').map(Number);
    return major === 1 && minor < 28 ? version : undefined;
  } catch {
    return undefined;
  }
}
const debianBoto3 = olderDebianBoto3();

test(
  "Debian's older boto3 (no AWS_ENDPOINT_URL support) reaches the edge too, presigned URLs included",
  { skip: debianBoto3 === undefined && `no boto3 < 1.28 at ${DEBIAN_PYTHON}` },
  async () => {
    const version = debianBoto3!;
    await create('py-old-boto3', 'python3.11', fixtureZip('python'));
    const used = await withPath('/usr/bin:/bin', () => checkBoto3('py-old-boto3'));
    assert.equal(used, version);
  },
);

test('without boto3 create-function succeeds and the invocation error says how to install it', async () => {
  const venv = path.join(dir, 'venv');
  execFileSync('python3', ['-m', 'venv', '--without-pip', venv]);
  const zip = zipSync({
    'lambda_function.py': strToU8('import boto3\n\ndef lambda_handler(event, context):\n    return 1\n'),
  });
  await create('py-no-boto3', 'python3.11', zip);
  const { payload, functionError } = await withPath(`${path.join(venv, 'bin')}:/usr/bin:/bin`, () =>
    cliInvoke('py-no-boto3', {}),
  );
  assert.equal(functionError, 'Unhandled');
  assert.equal(payload.errorType, 'Runtime.ImportModuleError');
  assert.match(payload.errorMessage as string, /^Unable to import module 'lambda_function': No module named 'boto3'/);
  assert.match(payload.errorMessage as string, /-m pip install boto3/);
});

test('a python3.X that is not on the PATH: python3 runs the function and the log says so', async () => {
  const zip = zipSync({
    'app.py': strToU8(
      'import sys\n\ndef main(event, context):\n    return {"version": list(sys.version_info[:2]), "n": event["n"]}\n',
    ),
  });
  await create('py-standin', 'python3.9', zip, 'app.main');
  const { payload, log } = await withPath(`${dir}:/usr/bin:/bin`, () => cliInvoke('py-standin', { n: 7 }));
  assert.equal(payload.n, 7);
  assert.match(log, /python3\.9 is not on the edge's PATH; running the function with python3 \(/);
});

test('Python handler errors: a missing handler, an exception in the module, a result that is not JSON', async () => {
  const zip = zipSync({
    'lambda_function.py': strToU8('def other(event, context):\n    return 1\n'),
    'broken.py': strToU8('raise ValueError("at import")\n'),
    'unmarshallable.py': strToU8('def handler(event, context):\n    return {1, 2}\n'),
  });
  await create('py-errors', 'python3.11', zip);
  const missing = await lambda.send(new InvokeCommand({ FunctionName: 'py-errors' }));
  const body = JSON.parse(Buffer.from(missing.Payload!).toString()) as Record<string, string>;
  assert.equal(missing.FunctionError, 'Unhandled');
  assert.deepEqual(
    [body.errorType, body.errorMessage],
    ['Runtime.HandlerNotFound', "Handler 'lambda_handler' missing on module 'lambda_function'"],
  );
  await create('py-broken', 'python3.11', zip, 'broken.handler');
  const broken = await lambda.send(new InvokeCommand({ FunctionName: 'py-broken' }));
  const error = JSON.parse(Buffer.from(broken.Payload!).toString()) as Record<string, string>;
  assert.deepEqual([error.errorType, error.errorMessage], ['ValueError', 'at import']);
  await create('py-unmarshallable', 'python3.11', zip, 'unmarshallable.handler');
  const set = await lambda.send(new InvokeCommand({ FunctionName: 'py-unmarshallable' }));
  const marshal = JSON.parse(Buffer.from(set.Payload!).toString()) as Record<string, string>;
  assert.equal(marshal.errorType, 'Runtime.MarshalError');
  assert.match(marshal.errorMessage, /^Unable to marshal response: /);
});
