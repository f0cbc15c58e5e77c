// The Runtime API listener's HTTP handling, driven by curl: chunked bodies, `Expect: 100-continue`, unknown
// request ids and paths, and the invocation headers of `next`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RuntimeApiServer, type NextInvocation } from '../../src/lambda/runtime/runtime-api.ts';

const execFileAsync = promisify(execFile);

function fakeEnvironment() {
  const calls: Array<[string, string, string?]> = [];
  const server = new RuntimeApiServer({
    next(deliver: (invocation: NextInvocation) => void) {
      deliver({
        requestId: 'req-1',
        body: '{"n":1}',
        deadlineMs: 1234,
        functionArn: 'arn:fn',
        traceId: 'Root=1-x',
        clientContext: '{"a":\n1}',
      });
    },
    response(requestId, payload) {
      calls.push(['response', requestId, payload]);
      return requestId === 'req-1';
    },
    error(requestId, payload, errorType) {
      calls.push(['error', payload, errorType]);
      return requestId === 'req-1';
    },
    initError(payload, errorType) {
      calls.push(['init', payload, errorType]);
    },
  });
  return { server, calls };
}

async function curl(...args: string[]): Promise<string> {
  return (await execFileAsync('curl', ['-sS', '-i', ...args], { maxBuffer: 1 << 24 })).stdout;
}

test('next: the event with the Lambda-Runtime-* headers; response, error and init/error reach the environment', async () => {
  const { server, calls } = fakeEnvironment();
  const api = await server.listen();
  try {
    const next = await curl(`http://${api}/2018-06-01/runtime/invocation/next`);
    assert.match(next, /^HTTP\/1\.1 200 OK/);
    assert.match(next, /Lambda-Runtime-Aws-Request-Id: req-1\r\n/);
    assert.match(next, /Lambda-Runtime-Deadline-Ms: 1234\r\n/);
    assert.match(next, /Lambda-Runtime-Invoked-Function-Arn: arn:fn\r\n/);
    assert.match(next, /Lambda-Runtime-Trace-Id: Root=1-x\r\n/);
    assert.match(next, /Lambda-Runtime-Client-Context: \{"a": 1\}\r\n/);
    assert.ok(next.endsWith('\r\n\r\n{"n":1}'));
    // A large chunked body, which curl sends after `Expect: 100-continue`.
    const big = JSON.stringify('x'.repeat(2 << 20));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ddn-runtime-api-')), 'body.json');
    writeFileSync(file, big);
    const ok = await curl(
      '-X',
      'POST',
      '-H',
      'Transfer-Encoding: chunked',
      '-H',
      'Expect: 100-continue',
      '--data-binary',
      `@${file}`,
      `http://${api}/2018-06-01/runtime/invocation/req-1/response`,
    );
    rmSync(path.dirname(file), { recursive: true, force: true });
    assert.match(ok, /HTTP\/1\.1 202 Accepted/);
    assert.equal(calls.at(-1)![2], big);
    const error = await curl(
      '-X',
      'POST',
      '-H',
      'Lambda-Runtime-Function-Error-Type: Unhandled',
      '-d',
      '{"errorMessage":"x"}',
      `http://${api}/2018-06-01/runtime/invocation/req-1/error`,
    );
    assert.match(error, /202 Accepted/);
    assert.deepEqual(calls.at(-1), ['error', '{"errorMessage":"x"}', 'Unhandled']);
    const unknown = await curl('-X', 'POST', '-d', '1', `http://${api}/2018-06-01/runtime/invocation/other/response`);
    assert.match(unknown, /^HTTP\/1\.1 400 Bad Request[\s\S]*"errorType":"InvalidRequestID"/);
    assert.match(await curl(`http://${api}/2015-03-31/functions`), /^HTTP\/1\.1 404 Not Found/);
    assert.match(await curl('-X', 'POST', '-d', '{}', `http://${api}/2018-06-01/runtime/init/error`), /202 Accepted/);
    assert.equal(calls.at(-1)![0], 'init');
  } finally {
    server.close();
  }
});
