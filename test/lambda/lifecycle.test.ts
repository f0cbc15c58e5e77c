// Function states as on AWS (Pending → Active, InProgress → Successful) with the aws CLI and its waiters, and
// create-function unpacking a package off the edge's event loop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { zipSync, strToU8 } from 'fflate';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { signedHeaders } from '../helpers/sigv4.ts';
import { ensureLambdaRole } from '../helpers/iam.ts';

const execFileAsync = promisify(execFile);
const ROLE = 'arn:aws:iam::000000000000:role/lifecycle';

let edge: TestEdge;
let dir: string;

async function aws(...args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('aws', args, { env: edge.env });
    return { ok: true, stdout, stderr };
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    return { ok: false, stdout: e.stdout, stderr: e.stderr };
  }
}

async function awsJson(...args: string[]): Promise<Record<string, unknown>> {
  const res = await aws(...args);
  assert.ok(res.ok, res.stderr);
  return JSON.parse(res.stdout) as Record<string, unknown>;
}

before(async () => {
  // Long enough for the CLI's calls to land inside each state.
  edge = await startTestEdge({ DDN_LAMBDA_STATE_DELAY_MS: '12000' });
  await ensureLambdaRole(edge, 'lifecycle');
  dir = mkdtempSync(path.join(tmpdir(), 'ddn-lifecycle-'));
  writeFileSync(path.join(dir, 'fn.zip'), zipSync({ 'index.js': strToU8('exports.handler = async () => "ok";') }));
});

after(async () => {
  await edge.close();
  rmSync(dir, { recursive: true, force: true });
});

test('create: Pending (invoke and update refused), then Active after `aws lambda wait function-active`', async () => {
  const created = await awsJson(
    'lambda',
    'create-function',
    '--function-name',
    'states',
    '--runtime',
    'nodejs20.x',
    '--handler',
    'index.handler',
    '--role',
    ROLE,
    '--zip-file',
    `fileb://${path.join(dir, 'fn.zip')}`,
  );
  assert.equal(created.State, 'Pending');
  assert.equal(created.StateReasonCode, 'Creating');
  const invoke = await aws('lambda', 'invoke', '--function-name', 'states', path.join(dir, 'out.json'));
  assert.equal(invoke.ok, false, 'a script that forgets to wait fails');
  assert.match(invoke.stderr, /ResourceConflictException.*The function is currently in the following state: Pending/);
  const update = await aws('lambda', 'update-function-configuration', '--function-name', 'states', '--timeout', '5');
  assert.match(update.stderr, /ResourceConflictException/);
  assert.ok((await aws('lambda', 'wait', 'function-active', '--function-name', 'states')).ok);
  const active = await awsJson('lambda', 'get-function-configuration', '--function-name', 'states');
  assert.deepEqual([active.State, active.LastUpdateStatus], ['Active', 'Successful']);
  assert.ok((await aws('lambda', 'invoke', '--function-name', 'states', path.join(dir, 'out.json'))).ok);
});

test('update: InProgress (a second update refused), then Successful after `aws lambda wait function-updated`', async () => {
  const updated = await awsJson(
    'lambda',
    'update-function-configuration',
    '--function-name',
    'states',
    '--timeout',
    '7',
  );
  assert.deepEqual([updated.State, updated.LastUpdateStatus, updated.Timeout], ['Active', 'InProgress', 7]);
  const again = await aws(
    'lambda',
    'update-function-code',
    '--function-name',
    'states',
    '--zip-file',
    `fileb://${path.join(dir, 'fn.zip')}`,
  );
  assert.equal(again.ok, false);
  assert.match(
    again.stderr,
    /ResourceConflictException.*An update is in progress for resource: arn:aws:lambda:[a-z0-9-]+:\d{12}:function:states/,
  );
  assert.ok((await aws('lambda', 'wait', 'function-updated', '--function-name', 'states')).ok);
  const done = await awsJson('lambda', 'get-function-configuration', '--function-name', 'states');
  assert.deepEqual([done.LastUpdateStatus, done.Timeout], ['Successful', 7]);
});

test('create-function unpacks off the event loop: the edge keeps answering while a large package unpacks', async () => {
  // 250 MB of zeros: a small upload that takes long to decompress and write.
  const zip = Buffer.from(
    zipSync(
      { 'index.js': strToU8('exports.handler = async () => 1;'), 'blob.bin': new Uint8Array(250_000_000) },
      { level: 9 },
    ),
  );
  const url = new URL(`${edge.url}/2015-03-31/functions`);
  const body = JSON.stringify({
    FunctionName: 'big',
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    Role: ROLE,
    Code: { ZipFile: zip.toString('base64') },
  });
  const headers = await signedHeaders({
    url,
    service: 'lambda',
    region: edge.region,
    credentials: edge.credentials,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  // The edge runs in this process: the unpacking starts when its worker thread does.
  let unpackingAt = Infinity;
  process.once('worker', () => (unpackingAt = performance.now()));
  let answeredAt = Infinity;
  const created = new Promise<number>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      answeredAt = performance.now();
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
  const agent = new http.Agent({ keepAlive: true });
  const healthAnswers: number[] = [];
  let done = false;
  void created.finally(() => (done = true));
  while (!done) {
    await new Promise<void>((resolve) => {
      http.get(`${edge.url}/_ddn/health`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          healthAnswers.push(performance.now());
          resolve();
        });
      });
    });
  }
  agent.destroy();
  assert.equal(await created, 201);
  const meanwhile = healthAnswers.filter((t) => t > unpackingAt && t < answeredAt).length;
  assert.ok(meanwhile >= 3, `health answered ${meanwhile} times while the package unpacked`);
});
