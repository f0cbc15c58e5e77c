// The same behaviour tests against a Node, a Python and a shell-script `bootstrap` function (fixtures/behaviour),
// each through the edge's Lambda API: the environment, Timeout, a crash, MemorySize, Tail logs, unhandled errors,
// Event invocations, warm reuse, environments ended on update and delete, and isolation from the edge's data.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { strToU8, zipSync } from 'fflate';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  type InvokeCommandOutput,
} from '@aws-sdk/client-lambda';
import { waitForFunction } from '../../src/deploy/apply.ts';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { ensureLambdaRole } from '../helpers/iam.ts';
import { fixtureZip } from './behaviour-fixtures.ts';

const ROLE = 'arn:aws:iam::000000000000:role/behaviour';
const EDGE_SECRET = 'DDN_EDGE_SECRET_FOR_BEHAVIOUR_TEST';

let edge: TestEdge;
let lambda: LambdaClient;

const KINDS = [
  { kind: 'node', runtime: 'nodejs20.x', handler: 'index.handler' },
  { kind: 'python', runtime: 'python3.11', handler: 'lambda_function.lambda_handler' },
  { kind: 'shell', runtime: 'provided.al2023', handler: 'unused' },
] as const;

/** A file of each fixture's own zip. */
const OWN_FILE = { node: 'index.mjs', python: 'lambda_function.py', shell: 'bootstrap' } as const;

async function invoke(
  name: string,
  event: object,
  extra: { tail?: boolean; type?: 'Event' } = {},
): Promise<InvokeCommandOutput & { body: unknown }> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: name,
      Payload: Buffer.from(JSON.stringify(event)),
      LogType: extra.tail ? 'Tail' : undefined,
      InvocationType: extra.type,
    }),
  );
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  return { ...out, body: text === '' ? undefined : JSON.parse(text) };
}

/** The host processes that have `runtimeApi` as their AWS_LAMBDA_RUNTIME_API (an environment's processes). */
function processesOf(runtimeApi: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`AWS_LAMBDA_RUNTIME_API=${runtimeApi}`))
        pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(condition(), what);
}

function refused(runtimeApi: string): Promise<boolean> {
  const [host, port] = runtimeApi.split(':');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });
}

before(async () => {
  process.env[EDGE_SECRET] = 'must-not-leak';
  edge = await startTestEdge();
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials });
  await ensureLambdaRole(edge, 'behaviour');
});

after(async () => {
  delete process.env[EDGE_SECRET];
  await edge.close();
});

for (const { kind, runtime, handler } of KINDS) {
  describe(`${kind} function (${runtime})`, () => {
    const name = `behaviour-${kind}`;

    before(async () => {
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: runtime,
          Handler: handler,
          Role: ROLE,
          Timeout: 2,
          MemorySize: 128,
          Code: { ZipFile: fixtureZip(kind) },
          Environment: { Variables: { GREETING: 'hello' } },
        }),
      );
      await waitForFunction(lambda, name);
    });

    test("environment variables: AWS's, the function's own, nothing of the edge's; own working directory", async () => {
      const { body } = (await invoke(name, { action: 'env' })) as {
        body: { vars: Record<string, string>; cwd: string; context?: Record<string, unknown> };
      };
      const v = body.vars;
      assert.match(v.AWS_LAMBDA_RUNTIME_API, /^127\.0\.0\.1:\d+$/);
      assert.notEqual(v.AWS_LAMBDA_RUNTIME_API, `127.0.0.1:${edge.port}`, 'the Runtime API has its own listener');
      assert.equal(v._HANDLER, handler);
      assert.match(v.LAMBDA_TASK_ROOT, /lambda\/code\/[0-9a-f]{32}\/task$/);
      assert.equal(v.AWS_LAMBDA_FUNCTION_NAME, name);
      assert.equal(v.AWS_LAMBDA_FUNCTION_VERSION, '$LATEST');
      assert.equal(v.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '128');
      assert.equal(v.AWS_REGION, edge.region);
      assert.equal(v.AWS_DEFAULT_REGION, edge.region);
      assert.equal(v.AWS_LAMBDA_LOG_GROUP_NAME, `/aws/lambda/${name}`);
      assert.match(v.AWS_LAMBDA_LOG_STREAM_NAME, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
      assert.equal(v.AWS_ACCESS_KEY_ID, edge.credentials.accessKeyId);
      assert.equal(v.AWS_SECRET_ACCESS_KEY, edge.credentials.secretAccessKey);
      assert.equal(v.AWS_ENDPOINT_URL, edge.url);
      assert.equal(v.GREETING, 'hello');
      assert.equal(v[EDGE_SECRET], undefined, "nothing of the edge's own environment");
      assert.equal(v.DDN_DATA_DIR, undefined);
      assert.equal(body.cwd, v.LAMBDA_TASK_ROOT, "the working directory is the task root, Lambda's /var/task");
      assert.ok(v.TMPDIR.startsWith(path.join(tmpdir(), 'ddn-lambda-environments', 'env-')), v.TMPDIR);
      assert.equal(v.HOME, v.TMPDIR);
      if (body.context) {
        const c = body.context;
        assert.equal(c.function_name, name);
        assert.equal(c.function_version, '$LATEST');
        assert.equal(String(c.memory_limit_in_mb), '128');
        assert.equal(c.invoked_function_arn, `arn:aws:lambda:${edge.region}:000000000000:function:${name}`);
        assert.match(String(c.aws_request_id), /^[0-9a-f-]{36}$/);
        assert.ok(Number(c.remaining) > 0 && Number(c.remaining) <= 2000);
        assert.equal(c.log_group_name, `/aws/lambda/${name}`);
        assert.equal(c.log_stream_name, v.AWS_LAMBDA_LOG_STREAM_NAME);
      }
    });

    test("isolation: the edge's data directory cannot be read, nothing outside the environment written", async () => {
      const metadata = path.join(edge.dataDir, 'state.sqlite');
      assert.ok(existsSync(metadata));
      const read = (await invoke(name, { action: 'read', path: metadata })).body as { read: boolean };
      assert.equal(read.read, false, JSON.stringify(read));
      const outside = path.join(tmpdir(), `ddn-escape-${kind}-${process.pid}`);
      await invoke(name, { action: 'write', path: outside });
      assert.equal(existsSync(outside), false, 'no file appears outside the environment');
      // Relative paths start at the task root: the function's own files are read there, and nothing is written.
      const own = (await invoke(name, { action: 'read', path: OWN_FILE[kind] })).body as { read: boolean };
      assert.equal(own.read, true, `${OWN_FILE[kind]} read by a relative path`);
      const written = (await invoke(name, { action: 'write', path: 'scribble.txt' })).body as { wrote: boolean };
      assert.equal(written.wrote, false, 'the task root is read-only');
    });

    test('warm reuse: the second call runs in the same environment', async () => {
      const first = (await invoke(name, { action: 'id' })).body as { stream: string; calls: number };
      const second = (await invoke(name, { action: 'id' })).body as { stream: string; calls: number };
      assert.equal(second.stream, first.stream);
      assert.equal(second.calls, first.calls + 1);
    });

    test('--log-type Tail: the last 4 KB of the log, base64', async () => {
      const out = await invoke(name, { action: 'log', lines: 1000 }, { tail: true });
      assert.equal(out.body, 'logged');
      const log = Buffer.from(out.LogResult!, 'base64');
      assert.ok(log.length <= 4096 && log.length > 3000, String(log.length));
      const text = log.toString('utf8');
      assert.match(text, /last-line/);
      assert.doesNotMatch(text, /\bline 0\n/);
      assert.match(text, /END RequestId: [0-9a-f-]{36}\nREPORT RequestId: /);
    });

    test('--log-type Tail with invocations queued in its environments: each tail holds its own output only', async () => {
      // Far more calls than environments: most wait inside one, and start the moment the one before them ends.
      const tags = Array.from({ length: 40 }, (_, i) => `t${i}x`);
      const outs = await Promise.all(tags.map((tag) => invoke(name, { action: 'tag', tag }, { tail: true })));
      for (const [i, out] of outs.entries()) {
        assert.equal(out.body, tags[i]);
        const log = Buffer.from(out.LogResult!, 'base64').toString('utf8');
        const tagged = [...log.matchAll(/tag (\S+) (begins|ends)/g)].map((m) => `${m[1]} ${m[2]}`);
        assert.deepEqual(tagged, [`${tags[i]} begins`, `${tags[i]} ends`], log);
      }
    });

    test('an unhandled error: {errorMessage, errorType, stackTrace} with X-Amz-Function-Error: Unhandled', async () => {
      const out = await invoke(name, { action: 'fail' });
      assert.equal(out.FunctionError, 'Unhandled');
      const body = out.body as { errorMessage: string; errorType: string; stackTrace: unknown[] };
      assert.equal(body.errorMessage, 'deliberate failure');
      assert.equal(body.errorType, 'DeliberateError');
      assert.ok(Array.isArray(body.stackTrace) && body.stackTrace.length > 0);
      assert.equal((await invoke(name, { action: 'id' })).FunctionError, undefined, 'the environment lives on');
    });

    test('InvocationType Event: 202 at once, the function runs', async () => {
      let resolveRan: (body: string) => void;
      const ran = new Promise<string>((r) => (resolveRan = r));
      const server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          res.end('ok');
          resolveRan(body);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ran`;
        const out = await invoke(name, { action: 'notify', url }, { type: 'Event' });
        assert.equal(out.StatusCode, 202);
        assert.equal(await ran, 'ran');
      } finally {
        server.close();
      }
    });

    test("Timeout: the process is killed and the error is AWS's; the next call runs", async () => {
      const out = await invoke(name, { action: 'sleep', seconds: 30 }, { tail: true });
      assert.equal(out.FunctionError, 'Unhandled');
      const body = out.body as { errorType: string; errorMessage: string };
      assert.equal(body.errorType, 'Sandbox.Timedout');
      assert.match(body.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Task timed out after 2\.00 seconds$/);
      const log = Buffer.from(out.LogResult!, 'base64').toString('utf8');
      assert.match(log, /Task timed out after 2\.00 seconds/);
      const api = /runtime-api=(\S+)/.exec(log)![1];
      await until(() => processesOf(api).length === 0, "the timed-out environment's processes are killed");
      assert.equal((await invoke(name, { action: 'id' })).FunctionError, undefined);
    });

    test('a crash: Runtime.ExitError with the exit status', async () => {
      const out = await invoke(name, { action: 'exit', code: 3 });
      assert.equal(out.FunctionError, 'Unhandled');
      const body = out.body as { errorType: string; errorMessage: string };
      assert.equal(body.errorType, 'Runtime.ExitError');
      assert.match(body.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3$/);
      assert.equal((await invoke(name, { action: 'id' })).FunctionError, undefined);
    });

    test('exceeding MemorySize ends the environment with Runtime.OutOfMemory; the edge does not grow', async () => {
      const rssBefore = process.memoryUsage().rss;
      const out = await invoke(name, { action: 'memory' });
      assert.equal(out.FunctionError, 'Unhandled');
      const body = out.body as { errorType: string; errorMessage: string };
      assert.equal(body.errorType, 'Runtime.OutOfMemory');
      assert.match(body.errorMessage, /Error: Runtime exited with error: signal: killed$/);
      assert.ok(process.memoryUsage().rss - rssBefore < 64 << 20, "the function's memory is not the edge's");
      assert.equal((await invoke(name, { action: 'id' })).FunctionError, undefined);
    });

    test('environments end on update and on delete', async () => {
      const api = ((await invoke(name, { action: 'env' })).body as { vars: Record<string, string> }).vars
        .AWS_LAMBDA_RUNTIME_API;
      assert.ok(processesOf(api).length > 0);
      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: name,
          Environment: { Variables: { GREETING: 'updated' } },
        }),
      );
      await until(() => processesOf(api).length === 0, "the environment's processes end after an update");
      assert.ok(await refused(api), 'its Runtime API is gone');
      await waitForFunction(lambda, name);
      const updated = (await invoke(name, { action: 'env' })).body as { vars: Record<string, string> };
      assert.equal(updated.vars.GREETING, 'updated');
      const next = updated.vars.AWS_LAMBDA_RUNTIME_API;
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
      await until(() => processesOf(next).length === 0, "the environment's processes end after a delete");
    });
  });
}

test('a provided function without an executable bootstrap fails with Runtime.InvalidEntrypoint', async () => {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'no-bootstrap',
      Runtime: 'provided.al2023',
      Handler: 'x',
      Role: ROLE,
      Code: { ZipFile: zipSync({ bootstrap: [strToU8('#!/bin/sh\n'), { os: 3, attrs: 0o100644 << 16 }] }) },
    }),
  );
  const out = await invoke('no-bootstrap', {});
  assert.equal(out.FunctionError, 'Unhandled');
  const body = out.body as { errorType: string; errorMessage: string };
  assert.equal(body.errorType, 'Runtime.InvalidEntrypoint');
  assert.match(body.errorMessage, /^Couldn't find valid bootstrap\(s\): \[.*\/task\/bootstrap\]$/);
});
