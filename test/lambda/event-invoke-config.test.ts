// Asynchronous invocation settings: Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s); a failed Event
// invocation is retried up to MaximumRetryAttempts (base delay DDN_LAMBDA_RETRY_BASE_MS), older events are dropped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionEventInvokeConfigsCommand,
  PublishVersionCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { retryDecision } from '../../src/lambda/async-retry.ts';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { sdkFailure } from '../helpers/sdk-failure.ts';
import { aws, awsFails, sdkFunction } from '../apigw/helpers.ts';

let edge: TestEdge;
let lambda: LambdaClient;
before(async () => {
  edge = await startTestEdge({ DDN_LAMBDA_RETRY_BASE_MS: '20' });
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials, maxAttempts: 1 });
});
after(async () => {
  await edge.close();
});

/** Counts the calls a function makes to it; `reached(n)` resolves once n calls came. */
async function counter() {
  let count = 0;
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  const server = http.createServer((_req, res) => {
    count++;
    res.end();
    for (const w of waiting) if (count >= w.n) w.resolve();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    get count() {
      return count;
    },
    reached: (n: number) => new Promise<void>((resolve) => (count >= n ? resolve() : waiting.push({ n, resolve }))),
    close: () => server.close(),
  };
}

test('event invoke configs are put, read, updated, listed by qualifier and deleted', async () => {
  const arn = await sdkFunction(edge, 'configured', 'export const handler = async () => 1;');
  const none = await sdkFailure(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'configured' })));
  assert.deepEqual(
    [none.name, none.status, none.message],
    ['ResourceNotFoundException', 404, `The function ${arn}:$LATEST doesn't have an EventInvokeConfig`],
  );
  const put = await aws(edge, [
    'lambda',
    'put-function-event-invoke-config',
    '--function-name',
    'configured',
    '--maximum-retry-attempts',
    '1',
  ]);
  assert.equal(put.FunctionArn, `${arn}:$LATEST`);
  assert.equal(put.MaximumRetryAttempts, 1);
  const updated = await lambda.send(
    new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'configured', MaximumEventAgeInSeconds: 120 }),
  );
  assert.deepEqual([updated.MaximumRetryAttempts, updated.MaximumEventAgeInSeconds], [1, 120]);
  const got = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'configured' }));
  assert.deepEqual([got.MaximumRetryAttempts, got.MaximumEventAgeInSeconds], [1, 120]);
  assert.ok(got.LastModified instanceof Date);
  // Put replaces the whole configuration.
  await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'configured', MaximumRetryAttempts: 0 }));
  assert.equal(
    (await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'configured' })))
      .MaximumEventAgeInSeconds,
    undefined,
  );

  await lambda.send(new PublishVersionCommand({ FunctionName: 'configured' }));
  await lambda.send(
    new PutFunctionEventInvokeConfigCommand({ FunctionName: 'configured', Qualifier: '1', MaximumRetryAttempts: 2 }),
  );
  const listed = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'configured' }));
  assert.deepEqual(
    listed.FunctionEventInvokeConfigs?.map((c) => [c.FunctionArn, c.MaximumRetryAttempts]).sort(),
    [
      [`${arn}:$LATEST`, 0],
      [`${arn}:1`, 2],
    ].sort(),
  );

  const bad = [{ MaximumRetryAttempts: 3 }, { MaximumEventAgeInSeconds: 59 }, { MaximumEventAgeInSeconds: 21601 }];
  for (const input of bad) {
    const err = await sdkFailure(
      lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'configured', ...input })),
    );
    assert.deepEqual([err.name, err.status], ['ValidationException', 400], JSON.stringify(input));
  }
  const noVersion = await sdkFailure(
    lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: 'configured', Qualifier: '5', MaximumRetryAttempts: 1 }),
    ),
  );
  assert.deepEqual([noVersion.name, noVersion.status], ['ResourceNotFoundException', 404]);

  await aws(edge, ['lambda', 'delete-function-event-invoke-config', '--function-name', 'configured']);
  const cli = await awsFails(edge, ['lambda', 'get-function-event-invoke-config', '--function-name', 'configured']);
  assert.match(cli.stderr, /ResourceNotFoundException/);
  const again = await sdkFailure(
    lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'configured' })),
  );
  assert.equal(again.status, 404);
  const noUpdate = await sdkFailure(
    lambda.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'configured', MaximumRetryAttempts: 1 })),
  );
  assert.deepEqual([noUpdate.name, noUpdate.status], ['ResourceNotFoundException', 404]);
});

test('a failing Event invocation is retried MaximumRetryAttempts times (2 by default)', async () => {
  const calls = await counter();
  const source = `export const handler = async () => { await fetch(${JSON.stringify(calls.url)}); throw new Error('fails'); };`;
  await sdkFunction(edge, 'failing', source);
  assert.equal(
    (await lambda.send(new InvokeCommand({ FunctionName: 'failing', InvocationType: 'Event' }))).StatusCode,
    202,
  );
  await calls.reached(3); // the first try and 2 retries

  const once = await counter();
  await sdkFunction(edge, 'failing-once', source.replace(calls.url, once.url));
  await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'failing-once', MaximumRetryAttempts: 0 }));
  await lambda.send(new InvokeCommand({ FunctionName: 'failing-once', InvocationType: 'Event' }));
  await once.reached(1);
  // A retry would come 20 ms later.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(once.count, 1);
  calls.close();
  once.close();
});

test('retry decisions: back-off doubles, retries stop at MaximumRetryAttempts, old events are dropped', () => {
  assert.deepEqual(retryDecision(0, undefined, 0, 60_000), { retryInMs: 60_000 });
  assert.deepEqual(retryDecision(1, undefined, 60_000, 60_000), { retryInMs: 120_000 });
  assert.deepEqual(retryDecision(2, undefined, 180_000, 60_000), { drop: 'retries-exhausted' });
  const config = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 90, lastModified: 0 };
  assert.deepEqual(retryDecision(0, config, 1_000, 60_000), { retryInMs: 60_000 });
  assert.deepEqual(retryDecision(1, config, 61_000, 60_000), { drop: 'too-old' });
  assert.deepEqual(retryDecision(0, { maximumRetryAttempts: 0, lastModified: 0 }, 0, 60_000), {
    drop: 'retries-exhausted',
  });
});
