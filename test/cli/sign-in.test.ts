// The platform with sign-in on (DDN_AUTH=cognito), driven by the ddn commands a user runs and by plain HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { request } from 'undici';
import { startDdnUp, type CommandResult, type DdnUp } from '../helpers/ddn-up.ts';
import type { StoredTokens } from '../../src/client/auth/token-store.ts';

const DDN = fileURLToPath(new URL('../../bin/ddn.js', import.meta.url));
const ALICE = 'Al1ce-password!';
const BOB_TEMPORARY = 'B0b-temporary!';
const BOB = 'B0b-permanent!';

let up: DdnUp;
let tokensFile: string;
let logFile: string;

before(async () => {
  up = await startDdnUp({ vars: { DDN_AUTH: 'cognito' } });
  tokensFile = path.join(up.dataDir, 'auth', 'tokens.json');
  logFile = path.join(up.dataDir, 'logs', 'apigw', 'ddn', 'ddn-api.log');
  writeFileSync(path.join(up.cwd, 'small.bin'), 'sixteen bytes...');
});

after(async () => {
  await up?.stop();
});

/** `ddn ARGS` with `input` on stdin. */
function runWithInput(args: string[], input: string, extraEnv: Record<string, string> = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DDN, ...args], {
      cwd: up.cwd,
      env: { ...up.env, ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

function ok(result: CommandResult): CommandResult {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

function storedTokens(): StoredTokens {
  return JSON.parse(readFileSync(tokensFile, 'utf8')) as StoredTokens;
}

function env(): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path.join(up.cwd, '.env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

async function presignStatus(token?: string): Promise<{ status: number; length: number }> {
  const res = await request(`${up.apiEndpoint}/presign?mode=upload&file=usage.bin`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = await res.body.arrayBuffer();
  return { status: res.statusCode, length: body.byteLength };
}

test('ddn up with sign-in: the pool and client go to .env, and it says how to create a user', () => {
  const vars = env();
  assert.match(vars.DDN_COGNITO_ISSUER, new RegExp(`^${up.edgeUrl}/us-east-1_[0-9A-Za-z]+$`));
  assert.match(vars.DDN_COGNITO_CLIENT_ID, /^[a-z0-9]+$/);
  assert.match(up.stdout(), /Sign-in is on: \/presign and \/invocations need a token/);
  assert.match(up.stdout(), /\.\/ddn user add alice/);
});

test('deploy --plan right after up: no changes', async () => {
  const inferencePort = new URL(up.inferenceUrl).port;
  const result = ok(await up.run(['deploy', '--plan'], { DDN_AUTH: 'cognito', DDN_INFERENCE_PORT: inferencePort }));
  assert.match(result.stdout, /no changes: the target matches the declaration/);
});

test('signed out: /ping is open, /presign says to log in', async () => {
  ok(await up.run(['ping']));
  const refused = await up.run(['upload', 'small.bin']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /answered 401: Unauthorized.*run ddn login/);
});

test('user add, a wrong password, login from stdin, then denoise; the tokens are owner-only', async () => {
  ok(await up.run(['user', 'add', 'alice', '--password', ALICE]));
  const wrong = await runWithInput(['login', '--username', 'alice'], 'Not-the-password1!\n');
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /sign-in refused: NotAuthorizedException: Incorrect username or password\./);
  assert.throws(() => statSync(tokensFile), { code: 'ENOENT' });

  assert.match(ok(await runWithInput(['login', '--username', 'alice'], `${ALICE}\n`)).stdout, /signed in as alice/);
  assert.equal(statSync(tokensFile).mode & 0o777, 0o600);
  assert.equal(decodeJwt(storedTokens().idToken)['cognito:username'], 'alice');

  ok(await up.run(['phantom', '--out', 'phantom.tif', '--size', '256']));
  const denoised = ok(await up.run(['denoise', 'phantom.tif', '--offset', '1000', '--json']));
  assert.equal((JSON.parse(denoised.stdout) as { response: { output_width: number } }).response.output_width, 256);
});

test('an expired token is refreshed before the request; a refused one after it', async () => {
  const before = storedTokens();
  writeFileSync(tokensFile, JSON.stringify({ ...before, expiresAt: Date.now() - 60_000 }));
  ok(await up.run(['upload', 'small.bin', '--key', 'after-expiry.bin']));
  const refreshed = storedTokens();
  assert.notEqual(refreshed.idToken, before.idToken);
  assert.ok(refreshed.expiresAt > Date.now());
  assert.equal(refreshed.refreshToken, before.refreshToken);

  // A token the authorizer refuses (bad signature) while the client thinks it is still valid.
  writeFileSync(tokensFile, JSON.stringify({ ...refreshed, idToken: `${refreshed.idToken.slice(0, -6)}AAAAAA` }));
  ok(await up.run(['upload', 'small.bin', '--key', 'after-refusal.bin']));
  assert.equal(decodeJwt(storedTokens().idToken)['cognito:username'], 'alice');
});

test('a temporary password: the first login sets a new one', async () => {
  ok(await up.run(['user', 'add', 'bob', '--password', BOB_TEMPORARY, '--temporary']));
  const first = ok(await runWithInput(['login', '--username', 'bob'], `${BOB_TEMPORARY}\n${BOB}\n`));
  assert.match(first.stdout, /password of bob changed/);
  ok(await up.run(['login', '--username', 'bob', '--password', BOB]));
  assert.equal(decodeJwt(storedTokens().idToken)['cognito:username'], 'bob');
});

test('DDN_API_TOKEN is sent as is; a bad one says so', async () => {
  const token = storedTokens().idToken;
  ok(await up.run(['logout']));
  assert.throws(() => statSync(tokensFile), { code: 'ENOENT' });
  ok(await up.run(['upload', 'small.bin', '--key', 'by-token.bin'], { DDN_API_TOKEN: token }));
  const refused = await up.run(['upload', 'small.bin'], { DDN_API_TOKEN: 'not.a.token' });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /DDN_API_TOKEN was refused/);
});

test('the billing access log names the user of each request, and ddn usage adds them up', async () => {
  ok(await up.run(['login', '--username', 'alice', '--password', ALICE]));
  const alice = storedTokens().idToken;
  ok(await up.run(['login', '--username', 'bob', '--password', BOB]));
  const bob = storedTokens().idToken;
  const from = new Date().toISOString();

  // The requests this test counts: 3 by alice, 2 by bob, 2 open pings and 1 refused presign anonymously.
  const made = {
    alice: { requests: 0, bytes: 0 },
    bob: { requests: 0, bytes: 0 },
    anonymous: { requests: 0, bytes: 0, errors: 0 },
  };
  for (const [user, token, times] of [
    ['alice', alice, 3],
    ['bob', bob, 2],
  ] as const) {
    for (let i = 0; i < times; i++) {
      const { status, length } = await presignStatus(token);
      assert.equal(status, 200);
      made[user].requests++;
      made[user].bytes += length;
    }
  }
  for (let i = 0; i < 2; i++) {
    const res = await request(`${up.apiEndpoint}/ping`);
    made.anonymous.bytes += (await res.body.arrayBuffer()).byteLength;
    made.anonymous.requests++;
  }
  const refused = await presignStatus();
  assert.equal(refused.status, 401);
  made.anonymous.requests++;
  made.anonymous.errors++;
  made.anonymous.bytes += refused.length;

  interface Row {
    key: string;
    requests: number;
    bytes: number;
    errors: number;
    p50Ms: number | null;
    p95Ms: number | null;
  }
  const usage = async (by: string) =>
    JSON.parse(ok(await up.run(['usage', '--from', from, '--by', by, '--json'])).stdout) as {
      rows: Row[];
      total: Row;
      latency: boolean;
    };
  // The edge writes its access log in batches: wait for the last line.
  let byUser = await usage('user');
  for (let tries = 0; byUser.total.requests < 8 && tries < 50; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    byUser = await usage('user');
  }
  const row = (rows: Row[], key: string) => rows.find((r) => r.key === key);
  assert.deepEqual(
    byUser.rows.map((r) => [r.key, r.requests, r.bytes, r.errors]),
    [
      ['(anonymous)', 3, made.anonymous.bytes, 1],
      ['alice', 3, made.alice.bytes, 0],
      ['bob', 2, made.bob.bytes, 0],
    ],
  );
  assert.equal(byUser.total.requests, 8);
  assert.equal(byUser.latency, true);
  assert.equal(typeof row(byUser.rows, 'alice')!.p95Ms, 'number');

  const byRoute = await usage('route');
  assert.deepEqual(
    byRoute.rows.map((r) => [r.key, r.requests, r.errors]),
    [
      ['GET /presign', 6, 1],
      ['GET /ping', 2, 0],
    ],
  );

  const csv = ok(await up.run(['usage', '--from', from, '--by', 'status', '--csv']))
    .stdout.trim()
    .split('\n');
  assert.equal(csv[0], 'status,requests,bytes,errors,p50_ms,p95_ms');
  assert.deepEqual(
    csv.slice(1).map((l) => l.split(',').slice(0, 2)),
    [
      ['200', '7'],
      ['401', '1'],
    ],
  );

  // The lines themselves: the billing format, one valid JSON object per request, with the user's name and sub.
  const lines = readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const aliceLine = lines.findLast((l) => l.user === 'alice')!;
  assert.deepEqual(Object.keys(aliceLine), [
    'requestId',
    'ip',
    'user',
    'sub',
    'requestTime',
    'httpMethod',
    'routeKey',
    'path',
    'status',
    'protocol',
    'responseLength',
    'responseLatency',
  ]);
  assert.equal(aliceLine.sub, decodeJwt(alice).sub);
  assert.equal(aliceLine.routeKey, 'GET /presign');
  assert.equal(typeof aliceLine.requestTime, 'number');
  assert.equal(lines.findLast((l) => l.routeKey === 'GET /ping')!.user, '-');
});
