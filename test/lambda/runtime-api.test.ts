// The Runtime API listener's HTTP handling, driven by curl: chunked bodies, `Expect: 100-continue`, unknown
// request ids and paths, and the invocation headers of `next`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { RuntimeApiServer, type InvocationWaiter } from '../../src/lambda/runtime/runtime-api.ts';

const execFileAsync = promisify(execFile);

function fakeEnvironment() {
  const calls: Array<[string, string, string?]> = [];
  const server = new RuntimeApiServer({
    next(waiter: InvocationWaiter) {
      waiter.deliver({
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

test('pipelined requests: a response and the next `next` in one write are answered in order', async () => {
  let pending: InvocationWaiter | undefined;
  const responses: string[] = [];
  const server = new RuntimeApiServer({
    next(waiter) {
      pending = waiter;
    },
    response(requestId, payload) {
      responses.push(`${requestId} ${payload}`);
      return true;
    },
    error: () => true,
    initError: () => undefined,
  });
  const [host, port] = (await server.listen()).split(':');
  const socket = net.connect(Number(port), host);
  try {
    let received = '';
    socket.setEncoding('utf8').on('data', (text: string) => (received += text));
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const post =
      'POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"ok"';
    socket.write(`${post}GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n`);
    await until(() => pending !== undefined);
    assert.deepEqual(responses, ['req-1 "ok"']);
    pending!.deliver({
      requestId: 'req-2',
      body: '{"n":2}',
      deadlineMs: 1,
      functionArn: 'arn:fn',
      traceId: 'Root=1-x',
    });
    await until(() => received.endsWith('{"n":2}'));
    const answers = received.split(/(?=HTTP\/1\.1 )/);
    assert.equal(answers.length, 2);
    assert.match(answers[0], /^HTTP\/1\.1 202 Accepted\r\n[^]*\r\n\r\n\{"status":"OK"\}$/);
    assert.match(answers[1], /^HTTP\/1\.1 200 OK\r\n[^]*Lambda-Runtime-Aws-Request-Id: req-2\r\n/);
  } finally {
    socket.destroy();
    server.close();
  }
});
