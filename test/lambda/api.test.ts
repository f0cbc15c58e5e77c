import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { zipSync, strToU8 } from 'fflate';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { waitForFunction } from '../../src/deploy/apply.ts';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { ensureLambdaRole } from '../helpers/iam.ts';

let edge: TestEdge;
let lambda: LambdaClient;

const zipOf = (source: string) => zipSync({ 'index.js': strToU8(source) });

function createInput(
  name: string,
  source: string,
  extra: Partial<CreateFunctionCommandInput> = {},
): CreateFunctionCommandInput {
  return {
    FunctionName: name,
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    Role: 'arn:aws:iam::000000000000:role/r',
    Code: { ZipFile: zipOf(source) },
    ...extra,
  };
}

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata: { httpStatusCode?: number }; $response?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode?: number } };
  }
  assert.fail('expected the call to fail');
}

before(async () => {
  edge = await startTestEdge();
  await ensureLambdaRole(edge, 'r');
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials });
});

after(async () => {
  await edge.close();
});

test('bad requests get Lambda errors and create nothing', async () => {
  const cases: Array<[Partial<CreateFunctionCommandInput>, string, number]> = [
    [{ Runtime: 'java21' }, 'InvalidParameterValueException', 400],
    [{ Timeout: 901 }, 'ValidationException', 400],
    [{ MemorySize: 64 }, 'ValidationException', 400],
    [{ Role: 'not-a-role' }, 'ValidationException', 400],
    [{ Environment: { Variables: { AWS_REGION: 'x' } } }, 'InvalidParameterValueException', 400],
    [{ Code: { ZipFile: strToU8('not a zip') } }, 'InvalidParameterValueException', 400],
    [{ Code: { ZipFile: zipSync({ '../escape.js': strToU8('x') }) } }, 'InvalidParameterValueException', 400],
  ];
  for (const [extra, name, status] of cases) {
    const err = await rejection(
      lambda.send(new CreateFunctionCommand(createInput('bad', 'exports.handler = async () => 1;', extra))),
    );
    assert.equal(err.name, name, JSON.stringify(extra));
    assert.equal(err.$metadata.httpStatusCode, status);
  }
  assert.deepEqual((await lambda.send(new ListFunctionsCommand({}))).Functions, []);

  const missing = await rejection(lambda.send(new GetFunctionCommand({ FunctionName: 'nope' })));
  assert.equal(missing.name, 'ResourceNotFoundException');
  assert.equal(missing.message, 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope');

  const badKey = new LambdaClient({
    endpoint: edge.url,
    region: edge.region,
    credentials: { ...edge.credentials, secretAccessKey: 'wrong' },
  });
  const denied = await rejection(badKey.send(new ListFunctionsCommand({})));
  assert.equal(denied.name, 'InvalidSignatureException');
  assert.equal(denied.$metadata.httpStatusCode, 403);
});

test('an inline zip of up to 50 MiB is taken; a larger one is 413 RequestEntityTooLargeException naming the call', async () => {
  // Random bytes, stored: each zip is as large as its file; in base64 49 MiB is past the edge's usual 64 MiB body.
  const noise = randomBytes(51 * 1024 * 1024);
  const zipWith = (size: number) =>
    zipSync({
      'index.js': strToU8('exports.handler = async () => 1;'),
      'noise.bin': [noise.subarray(0, size), { level: 0 }],
    });
  const fits = zipWith(49 * 1024 * 1024);
  const created = await lambda.send(
    new CreateFunctionCommand({ ...createInput('inline-49', ''), Code: { ZipFile: fits } }),
  );
  assert.equal(created.CodeSize, fits.length);
  const tooLarge = (operation: string) => ({
    name: 'RequestEntityTooLargeException',
    status: 413,
    message: `Request must be smaller than 69905067 bytes for the ${operation} operation`,
  });
  const over = zipWith(50 * 1024 * 1024);
  const refused = async (call: Promise<unknown>) => {
    const err = await rejection(call);
    return { name: err.name, status: err.$metadata.httpStatusCode, message: err.message };
  };
  assert.deepEqual(
    await refused(lambda.send(new CreateFunctionCommand({ ...createInput('inline-50', ''), Code: { ZipFile: over } }))),
    tooLarge('CreateFunction'),
  );
  await waitForFunction(lambda, 'inline-49');
  assert.deepEqual(
    await refused(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'inline-49', ZipFile: over }))),
    tooLarge('UpdateFunctionCode'),
  );
  const names = (await lambda.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName);
  assert.ok(names?.includes('inline-49') && !names.includes('inline-50'), String(names));
  const kept = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'inline-49' }));
  assert.equal(kept.CodeSha256, created.CodeSha256);
  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'inline-49' }));
});

test('errors carry x-amzn-ErrorType and the model spelling of the message member', async () => {
  await lambda.send(new CreateFunctionCommand(createInput('wire', 'exports.handler = async () => 1;')));
  const seen: Array<{ status: number; type: string | null; body: Record<string, unknown> }> = [];
  const client = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials });
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const res = out.response as {
        statusCode: number;
        headers: Record<string, string>;
        body: AsyncIterable<Uint8Array>;
      };
      const chunks: Buffer[] = [];
      for await (const c of res.body) chunks.push(Buffer.from(c));
      seen.push({
        status: res.statusCode,
        type: res.headers['x-amzn-errortype'] ?? null,
        body: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
      });
      throw new Error('captured');
    },
    { step: 'deserialize', name: 'capture' },
  );
  await rejection(client.send(new GetFunctionCommand({ FunctionName: 'absent' })));
  await rejection(client.send(new CreateFunctionCommand(createInput('wire', 'exports.handler = async () => 1;'))));
  assert.deepEqual(seen[0], {
    status: 404,
    type: 'ResourceNotFoundException',
    body: { Type: 'User', Message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:absent' },
  });
  assert.deepEqual(seen[1], {
    status: 409,
    type: 'ResourceConflictException',
    body: { Type: 'User', message: 'Function already exist: wire' },
  });
});

test('Invoke: function error, DryRun 204, Event 202 runs in the background, non-JSON payload refused', async () => {
  const hits: string[] = [];
  const callback = http.createServer((req, res) => {
    hits.push(req.url!);
    res.end('ok');
  });
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
  try {
    const source = `exports.handler = async (event) => {
      if (event.fail) throw new TypeError('bad thing');
      if (event.ping) await fetch(process.env.CALLBACK + '/' + event.ping);
      return { ok: true };
    };`;
    const url = `http://127.0.0.1:${(callback.address() as AddressInfo).port}`;
    await lambda.send(
      new CreateFunctionCommand(createInput('inv', source, { Environment: { Variables: { CALLBACK: url } } })),
    );

    const failed = await lambda.send(new InvokeCommand({ FunctionName: 'inv', Payload: strToU8('{"fail":true}') }));
    assert.equal(failed.StatusCode, 200);
    assert.equal(failed.FunctionError, 'Unhandled');
    const error = JSON.parse(Buffer.from(failed.Payload!).toString());
    assert.equal(error.errorType, 'TypeError');
    assert.equal(error.errorMessage, 'bad thing');
    assert.ok(Array.isArray(error.stackTrace));

    const dry = await lambda.send(new InvokeCommand({ FunctionName: 'inv', InvocationType: 'DryRun' }));
    assert.equal(dry.StatusCode, 204);

    const queued = await lambda.send(
      new InvokeCommand({ FunctionName: 'inv', InvocationType: 'Event', Payload: strToU8('{"ping":"async"}') }),
    );
    assert.equal(queued.StatusCode, 202);
    while (!hits.includes('/async')) await new Promise((r) => setTimeout(r, 20));

    const invalid = await rejection(lambda.send(new InvokeCommand({ FunctionName: 'inv', Payload: strToU8('{nope') })));
    assert.equal(invalid.name, 'InvalidRequestContentException');
    const arn = await lambda.send(
      new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:inv', Payload: strToU8('{}') }),
    );
    assert.deepEqual(JSON.parse(Buffer.from(arn.Payload!).toString()), { ok: true });
    const qualified = await rejection(lambda.send(new InvokeCommand({ FunctionName: 'inv', Qualifier: '7' })));
    assert.equal(qualified.name, 'ResourceNotFoundException');
  } finally {
    callback.close();
  }
});

test('UpdateFunctionConfiguration: new environment variables reach the next invocation', async () => {
  await lambda.send(
    new CreateFunctionCommand(
      createInput('cfg', 'exports.handler = async () => process.env.COLOUR ?? null;', {
        Environment: { Variables: { COLOUR: 'red' } },
      }),
    ),
  );
  const invoke = async () =>
    Buffer.from((await lambda.send(new InvokeCommand({ FunctionName: 'cfg' }))).Payload!).toString();
  assert.equal(await invoke(), '"red"');
  const updated = await lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: 'cfg',
      Environment: { Variables: { COLOUR: 'blue' } },
      Timeout: 5,
    }),
  );
  assert.equal(updated.Timeout, 5);
  assert.equal(await invoke(), '"blue"');
});

test('ListFunctions pages with MaxItems/Marker', async () => {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListFunctionsCommand({ MaxItems: 1, Marker: marker }));
    assert.ok(page.Functions!.length <= 1);
    names.push(...page.Functions!.map((f) => f.FunctionName!));
    marker = page.NextMarker;
  } while (marker);
  assert.deepEqual(names, [...names].sort());
  assert.ok(names.includes('cfg') && names.includes('inv'));
});

test('the invoker interface: invoke by name and the resource-policy check the gateway performs', async () => {
  await lambda.send(
    new CreateFunctionCommand(
      createInput('gw', 'exports.handler = async (e) => ({ statusCode: 200, body: e.rawPath });'),
    ),
  );
  const invoker = edge.running.lambda;
  const sourceArn = 'arn:aws:execute-api:us-east-1:000000000000:api123/$default/GET/presign';
  assert.equal(invoker.isInvokeAllowed('gw', 'apigateway.amazonaws.com', sourceArn), false);
  await lambda.send(
    new AddPermissionCommand({
      FunctionName: 'gw',
      StatementId: 'apigateway-access',
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: 'arn:aws:execute-api:us-east-1:000000000000:api123/*/*',
    }),
  );
  assert.equal(invoker.isInvokeAllowed('gw', 'apigateway.amazonaws.com', sourceArn), true);
  assert.equal(invoker.isInvokeAllowed('gw', 'apigateway.amazonaws.com', sourceArn.replace('api123', 'other1')), false);
  assert.equal(invoker.isInvokeAllowed('gw', 's3.amazonaws.com', sourceArn), false);
  const result = await invoker.invoke('gw', Buffer.from('{"rawPath":"/presign"}'), { logType: 'Tail' });
  assert.equal(result.statusCode, 200);
  assert.deepEqual(JSON.parse(result.payload.toString()), { statusCode: 200, body: '/presign' });
  assert.match(Buffer.from(result.logResult!, 'base64').toString(), /^START RequestId/);
  await assert.rejects(invoker.invoke('absent', Buffer.from('{}')), { name: 'ResourceNotFoundException' });
});

test('STS GetCallerIdentity through the SDK', async () => {
  const sts = new STSClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials });
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(identity.Account, '000000000000');
  assert.equal(identity.Arn, 'arn:aws:iam::000000000000:root');
});
