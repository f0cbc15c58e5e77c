// Reserved concurrency: Put/Get/DeleteFunctionConcurrency, GetAccountSettings, and Invoke throttled beyond it
// (429 TooManyRequestsException), which API Gateway answers with its 500.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  InvokeCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { restartTestEdge, startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { aws, awsFails, deployApi, sdkAllow, sdkFunction } from '../apigw/helpers.ts';

let edge: TestEdge;
let lambda: LambdaClient;
before(async () => {
  edge = await startTestEdge();
  // One attempt: the SDK would otherwise retry a 429 as a throttling error.
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials, maxAttempts: 1 });
});
after(async () => {
  await edge.close();
});

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { $metadata: { httpStatusCode?: number }; Reason?: string };
    return { name: e.name, message: e.message, status: e.$metadata.httpStatusCode, reason: e.Reason };
  }
  assert.fail('expected the call to fail');
}

/** A server whose requests are held until `release`: a function calling it stays running until then. */
async function holdServer() {
  let arrived!: () => void;
  const arrival = new Promise<void>((r) => (arrived = r));
  const held: http.ServerResponse[] = [];
  const server = http.createServer((_req, res) => {
    held.push(res);
    arrived();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    arrival,
    release() {
      for (const res of held) res.end('done');
      server.close();
    },
  };
}

test('reserved concurrency is set, read, shown by GetFunction and GetAccountSettings, and removed', async () => {
  await sdkFunction(edge, 'reserved', 'export const handler = async () => 1;');
  assert.deepEqual((await aws(edge, ['lambda', 'get-function-concurrency', '--function-name', 'reserved'])) ?? {}, {});
  const put = await aws(edge, [
    'lambda',
    'put-function-concurrency',
    '--function-name',
    'reserved',
    '--reserved-concurrent-executions',
    '5',
  ]);
  assert.equal(put.ReservedConcurrentExecutions, 5);
  const got = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'reserved' }));
  assert.equal(got.ReservedConcurrentExecutions, 5);
  assert.deepEqual((await lambda.send(new GetFunctionCommand({ FunctionName: 'reserved' }))).Concurrency, {
    ReservedConcurrentExecutions: 5,
  });
  const settings = await lambda.send(new GetAccountSettingsCommand({}));
  assert.equal(settings.AccountLimit?.ConcurrentExecutions, 1000);
  assert.equal(settings.AccountLimit?.UnreservedConcurrentExecutions, 995);
  assert.ok(settings.AccountUsage!.FunctionCount! >= 1);
  assert.ok(settings.AccountUsage!.TotalCodeSize! > 0);

  const negative = await failure(
    lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'reserved', ReservedConcurrentExecutions: -1 })),
  );
  assert.deepEqual([negative.name, negative.status], ['ValidationException', 400]);
  const tooMuch = await failure(
    lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'reserved', ReservedConcurrentExecutions: 901 })),
  );
  assert.deepEqual([tooMuch.name, tooMuch.status], ['InvalidParameterValueException', 400]);
  assert.match(tooMuch.message, /below its minimum value of \[100\]/);
  const missing = await failure(
    lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'nope', ReservedConcurrentExecutions: 1 })),
  );
  assert.deepEqual([missing.name, missing.status], ['ResourceNotFoundException', 404]);
  assert.equal(
    (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'reserved' }))).ReservedConcurrentExecutions,
    5,
  );

  await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'reserved' }));
  assert.equal(
    (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'reserved' }))).ReservedConcurrentExecutions,
    undefined,
  );
  assert.equal((await lambda.send(new GetFunctionCommand({ FunctionName: 'reserved' }))).Concurrency, undefined);
  assert.equal(
    (await lambda.send(new GetAccountSettingsCommand({}))).AccountLimit?.UnreservedConcurrentExecutions,
    1000,
  );
});

test('beyond the reserved concurrency Invoke is 429 TooManyRequestsException; reserved 0 throttles every call', async () => {
  const hold = await holdServer();
  await sdkFunction(
    edge,
    'single',
    `export const handler = async (e) => e.hold ? (await fetch(${JSON.stringify(hold.url)})).text() : 'quick';`,
  );
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'single', ReservedConcurrentExecutions: 1 }));
  const first = lambda.send(new InvokeCommand({ FunctionName: 'single', Payload: JSON.stringify({ hold: true }) }));
  await hold.arrival;
  const second = await failure(lambda.send(new InvokeCommand({ FunctionName: 'single', Payload: '{}' })));
  assert.deepEqual(second, {
    name: 'TooManyRequestsException',
    message: 'Rate Exceeded.',
    status: 429,
    reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
  });
  hold.release();
  assert.equal(Buffer.from((await first).Payload!).toString(), '"done"');
  assert.equal(
    Buffer.from((await lambda.send(new InvokeCommand({ FunctionName: 'single' }))).Payload!).toString(),
    '"quick"',
  );

  await aws(edge, [
    'lambda',
    'put-function-concurrency',
    '--function-name',
    'single',
    '--reserved-concurrent-executions',
    '0',
  ]);
  const zero = await failure(lambda.send(new InvokeCommand({ FunctionName: 'single' })));
  assert.deepEqual(
    [zero.name, zero.status, zero.reason],
    ['TooManyRequestsException', 429, 'ReservedFunctionConcurrentInvocationLimitExceeded'],
  );
  edge.env.AWS_MAX_ATTEMPTS = '1';
  const cli = await awsFails(edge, ['lambda', 'invoke', '--function-name', 'single', '/dev/null']);
  assert.match(cli.stderr, /\(TooManyRequestsException\).*Rate Exceeded\./);
  const event = await lambda.send(new InvokeCommand({ FunctionName: 'single', InvocationType: 'Event' }));
  assert.equal(event.StatusCode, 202);

  await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'single' }));
  assert.equal((await lambda.send(new InvokeCommand({ FunctionName: 'single' }))).StatusCode, 200);
});

test('API Gateway answers a throttled Lambda integration with 500 Internal Server Error', async () => {
  const arn = await sdkFunction(edge, 'gated', `export const handler = async () => ({ statusCode: 200, body: 'ok' });`);
  const { apiId, base } = await deployApi(edge, [{ routeKey: 'GET /gated', target: arn }]);
  await sdkAllow(edge, 'gated', apiId);
  assert.equal((await fetch(`${base}/gated`)).status, 200);
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'gated', ReservedConcurrentExecutions: 0 }));
  const throttled = await fetch(`${base}/gated`);
  assert.equal(throttled.status, 500);
  assert.deepEqual(await throttled.json(), { message: 'Internal Server Error' });
});

test('reserved concurrency survives a restart of the edge', async () => {
  await sdkFunction(edge, 'kept', 'export const handler = async () => 1;');
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'kept', ReservedConcurrentExecutions: 3 }));
  edge = await restartTestEdge(edge);
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials, maxAttempts: 1 });
  assert.equal(
    (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'kept' }))).ReservedConcurrentExecutions,
    3,
  );
});
