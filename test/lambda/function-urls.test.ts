// Function URLs: Create/Get/Update/Delete/ListFunctionUrlConfig(s) with the SDK and the aws CLI, and the data plane at
// {urlId}.lambda-url.{region}.localhost and /_ddn/lambda-url/{urlId}/ (payload 2.0, AuthType NONE and AWS_IAM,
// the resource policy, CORS, errors).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateAliasCommand,
  CreateFunctionUrlConfigCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  LambdaClient,
  ListFunctionUrlConfigsCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  UpdateFunctionUrlConfigCommand,
  type FunctionUrlAuthType,
} from '@aws-sdk/client-lambda';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { sdkFailure } from '../helpers/sdk-failure.ts';
import { signedHeaders } from '../helpers/sigv4.ts';
import { aws, sdkFunction } from '../apigw/helpers.ts';

/** Answers with its event, or as the `mode` query parameter says. */
const ECHO = `export const handler = async (event) => {
  const mode = event.queryStringParameters?.mode;
  if (mode === 'throw') throw new Error('boom');
  if (mode === 'plain') return { hello: 'world' };
  if (mode === 'binary') return { statusCode: 200, headers: { 'content-type': 'image/png' }, body: 'AAEC', isBase64Encoded: true };
  return {
    statusCode: 201,
    headers: { 'x-fn': 'yes', 'access-control-allow-origin': 'https://from-function.example' },
    cookies: ['session=abc; Path=/'],
    body: JSON.stringify(event),
  };
};`;

let edge: TestEdge;
let lambda: LambdaClient;
before(async () => {
  edge = await startTestEdge();
  lambda = new LambdaClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials, maxAttempts: 1 });
});
after(async () => {
  await edge.close();
});

/** The payload format 2.0 event, as the echo function returns it. */
interface UrlEvent {
  version: string;
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string>;
  body?: string;
  isBase64Encoded: boolean;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: Record<string, string>;
    requestId: string;
    routeKey: string;
    stage: string;
    time: string;
    timeEpoch: number;
    authorizer?: unknown;
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** Sends a request to the edge's address with the given Host header (the host form needs no name resolution). */
function send(
  options: { method?: string; path: string; host?: string; headers?: Record<string, string> },
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: edge.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { ...(options.host && { host: options.host }), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function urlParts(functionUrl: string) {
  const url = new URL(functionUrl);
  return { host: url.host, urlId: url.hostname.split('.')[0] };
}

/** Lets everyone call the function's URL: both statements AWS asks for since October 2025 (aws CLI). */
async function openToEveryone(name: string, qualifier?: string) {
  const base = ['lambda', 'add-permission', '--function-name', name, '--principal', '*'];
  const q = qualifier ? ['--qualifier', qualifier] : [];
  const sid = qualifier ?? 'function';
  await aws(
    edge,
    [...base, ...q, '--statement-id', `url-${sid}`, '--action', 'lambda:InvokeFunctionUrl'].concat([
      '--function-url-auth-type',
      'NONE',
    ]),
  );
  await aws(
    edge,
    [...base, ...q, '--statement-id', `invoke-${sid}`, '--action', 'lambda:InvokeFunction'].concat([
      '--invoked-via-function-url',
    ]),
  );
}

async function createUrl(name: string, authType: FunctionUrlAuthType = 'NONE', extra: Record<string, unknown> = {}) {
  return lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: name, AuthType: authType, ...extra }));
}

const FORBIDDEN = {
  Message:
    'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html',
};

test('function URL configs are created, read, updated, listed by qualifier and deleted (SDK)', async () => {
  const arn = await sdkFunction(edge, 'configured', ECHO);
  const created = await createUrl('configured', 'NONE', {
    Cors: { AllowOrigins: ['https://app.example'], AllowMethods: ['GET'], MaxAge: 60 },
  });
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.match(
    created.FunctionUrl!,
    new RegExp(`^http://[a-z0-9]{32}\\.lambda-url\\.${edge.region}\\.localhost:${edge.port}/$`),
  );
  assert.equal(created.FunctionArn, arn);
  assert.equal(created.AuthType, 'NONE');
  assert.equal(created.InvokeMode, 'BUFFERED');
  assert.deepEqual(created.Cors, { AllowOrigins: ['https://app.example'], AllowMethods: ['GET'], MaxAge: 60 });
  assert.ok(created.CreationTime);

  const again = await sdkFailure(createUrl('configured'));
  assert.equal(again.name, 'ResourceConflictException');
  assert.equal(again.status, 409);

  const got = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'configured' }));
  assert.equal(got.FunctionUrl, created.FunctionUrl);
  assert.equal(got.CreationTime, created.CreationTime);
  const latest = await lambda.send(
    new GetFunctionUrlConfigCommand({ FunctionName: 'configured', Qualifier: '$LATEST' }),
  );
  assert.equal(latest.FunctionUrl, created.FunctionUrl);
  assert.ok(got.LastModifiedTime);

  const updated = await lambda.send(
    new UpdateFunctionUrlConfigCommand({ FunctionName: 'configured', AuthType: 'AWS_IAM', InvokeMode: 'BUFFERED' }),
  );
  assert.equal(updated.AuthType, 'AWS_IAM');
  assert.equal(updated.FunctionUrl, created.FunctionUrl, 'the URL never changes');
  assert.deepEqual(updated.Cors, created.Cors, 'an update without Cors keeps it');

  await lambda.send(new PublishVersionCommand({ FunctionName: 'configured' }));
  await lambda.send(new CreateAliasCommand({ FunctionName: 'configured', Name: 'live', FunctionVersion: '1' }));
  const live = await lambda.send(
    new CreateFunctionUrlConfigCommand({ FunctionName: 'configured', Qualifier: 'live', AuthType: 'NONE' }),
  );
  assert.equal(live.FunctionArn, `${arn}:live`);
  assert.notEqual(live.FunctionUrl, created.FunctionUrl);

  const all = await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'configured' }));
  assert.deepEqual(
    all.FunctionUrlConfigs!.map((c) => [c.FunctionArn, c.AuthType]),
    [
      [arn, 'AWS_IAM'],
      [`${arn}:live`, 'NONE'],
    ],
  );
  const first = await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'configured', MaxItems: 1 }));
  assert.equal(first.FunctionUrlConfigs!.length, 1);
  const second = await lambda.send(
    new ListFunctionUrlConfigsCommand({ FunctionName: 'configured', MaxItems: 1, Marker: first.NextMarker }),
  );
  assert.deepEqual(
    second.FunctionUrlConfigs!.map((c) => c.FunctionArn),
    [`${arn}:live`],
  );
  assert.equal(second.NextMarker, undefined);

  const deleted = await lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'configured' }));
  assert.equal(deleted.$metadata.httpStatusCode, 204);
  const gone = await sdkFailure(lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'configured' })));
  assert.deepEqual([gone.name, gone.status], ['ResourceNotFoundException', 404]);
  const twice = await sdkFailure(lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'configured' })));
  assert.equal(twice.name, 'ResourceNotFoundException');
  // The alias's URL stays.
  await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'configured', Qualifier: 'live' }));
});

test('bad function URL requests are AWS errors and change nothing', async () => {
  await sdkFunction(edge, 'strict', ECHO);
  const cases: Array<[() => Promise<unknown>, string, number]> = [
    [() => createUrl('strict', 'BOGUS' as FunctionUrlAuthType), 'ValidationException', 400],
    [() => createUrl('strict', 'NONE', { Cors: { AllowMethods: ['FETCH'] } }), 'InvalidParameterValueException', 400],
    [
      () => createUrl('strict', 'NONE', { Cors: { AllowOrigins: ['not an origin'] } }),
      'InvalidParameterValueException',
      400,
    ],
    [() => createUrl('strict', 'NONE', { Cors: { MaxAge: 86401 } }), 'ValidationException', 400],
    [() => createUrl('strict', 'NONE', { InvokeMode: 'SOMETIMES' }), 'ValidationException', 400],
    [() => createUrl('strict', 'NONE', { Qualifier: '1' }), 'ValidationException', 400],
    [() => createUrl('strict', 'NONE', { Qualifier: 'missing' }), 'ResourceNotFoundException', 404],
    [() => createUrl('nothing-here'), 'ResourceNotFoundException', 404],
    [() => lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'strict' })), 'ResourceNotFoundException', 404],
    [
      () => lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'strict', AuthType: 'NONE' })),
      'ResourceNotFoundException',
      404,
    ],
    [
      () => lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'nothing-here' })),
      'ResourceNotFoundException',
      404,
    ],
    [
      () => lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'strict', Marker: 'made-up' })),
      'InvalidParameterValueException',
      400,
    ],
  ];
  for (const [call, name, status] of cases) {
    const f = await sdkFailure(call());
    assert.deepEqual([f.name, f.status], [name, status], f.message);
  }
  const list = await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'strict' }));
  assert.deepEqual(list.FunctionUrlConfigs, []);
});

test('the aws CLI drives function URL configs', async () => {
  const arn = await sdkFunction(edge, 'cli-url', ECHO);
  const created = await aws(edge, [
    'lambda',
    'create-function-url-config',
    '--function-name',
    'cli-url',
    '--auth-type',
    'NONE',
    '--cors',
    'AllowOrigins=https://app.example,AllowMethods=GET,AllowCredentials=true',
  ]);
  assert.equal(created.FunctionArn, arn);
  assert.deepEqual(created.Cors, {
    AllowOrigins: ['https://app.example'],
    AllowMethods: ['GET'],
    AllowCredentials: true,
  });
  const got = await aws(edge, ['lambda', 'get-function-url-config', '--function-name', 'cli-url']);
  assert.equal(got.FunctionUrl, created.FunctionUrl);
  const listed = await aws(edge, ['lambda', 'list-function-url-configs', '--function-name', 'cli-url']);
  assert.equal((listed.FunctionUrlConfigs as unknown[]).length, 1);
  await aws(edge, ['lambda', 'delete-function-url-config', '--function-name', 'cli-url']);
  const after = await aws(edge, ['lambda', 'list-function-url-configs', '--function-name', 'cli-url']);
  assert.deepEqual(after.FunctionUrlConfigs, []);
});

test('AuthType NONE: the resource policy must open the URL; then the host and path forms get payload 2.0', async () => {
  await sdkFunction(edge, 'public', ECHO);
  const created = await createUrl('public');
  const { host, urlId } = urlParts(created.FunctionUrl!);

  const closed = await send({ path: '/', host });
  assert.equal(closed.status, 403);
  assert.equal(closed.headers['x-amzn-errortype'], 'AccessDeniedException');
  assert.deepEqual(JSON.parse(closed.text), FORBIDDEN);
  // lambda:InvokeFunctionUrl alone is not enough since October 2025.
  await aws(edge, [
    'lambda',
    'add-permission',
    '--function-name',
    'public',
    '--statement-id',
    'url',
    '--principal',
    '*',
    '--action',
    'lambda:InvokeFunctionUrl',
    '--function-url-auth-type',
    'NONE',
  ]);
  assert.equal((await send({ path: '/', host })).status, 403);
  await aws(edge, [
    'lambda',
    'add-permission',
    '--function-name',
    'public',
    '--statement-id',
    'invoke',
    '--principal',
    '*',
    '--action',
    'lambda:InvokeFunction',
    '--invoked-via-function-url',
  ]);

  const reply = await send(
    {
      method: 'POST',
      path: '/some/path?x=1&x=2&y=%20z',
      host,
      headers: { 'content-type': 'application/json', cookie: 'a=1; b=2', 'x-multi': 'one', 'User-Agent': 'tester' },
    },
    '{"hi":true}',
  );
  assert.equal(reply.status, 201, reply.text);
  assert.equal(reply.headers['x-fn'], 'yes');
  assert.deepEqual(reply.headers['set-cookie'], ['session=abc; Path=/']);
  assert.ok(reply.headers['x-amzn-requestid']);
  const event = JSON.parse(reply.text) as UrlEvent;
  assert.equal(event.version, '2.0');
  assert.equal(event.routeKey, '$default');
  assert.equal(event.rawPath, '/some/path');
  assert.equal(event.rawQueryString, 'x=1&x=2&y=%20z');
  assert.deepEqual(event.cookies, ['a=1', 'b=2']);
  assert.deepEqual(event.queryStringParameters, { x: '1,2', y: ' z' });
  assert.equal(event.headers['x-multi'], 'one');
  assert.equal(event.headers['content-type'], 'application/json');
  assert.equal(event.headers.host, host);
  assert.equal(event.headers.cookie, undefined);
  assert.equal(event.body, '{"hi":true}');
  assert.equal(event.isBase64Encoded, false);
  const ctx = event.requestContext;
  assert.equal(ctx.accountId, 'anonymous');
  assert.equal(ctx.apiId, urlId);
  assert.equal(ctx.domainName, `${urlId}.lambda-url.${edge.region}.localhost`);
  assert.equal(ctx.domainPrefix, urlId);
  assert.deepEqual(ctx.http, {
    method: 'POST',
    path: '/some/path',
    protocol: 'HTTP/1.1',
    sourceIp: '127.0.0.1',
    userAgent: 'tester',
  });
  assert.equal(ctx.routeKey, '$default');
  assert.equal(ctx.stage, '$default');
  assert.match(ctx.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  assert.equal(typeof ctx.timeEpoch, 'number');
  assert.match(ctx.requestId, /^[0-9a-f-]{36}$/);
  assert.equal(ctx.authorizer, undefined);

  const byPath = await send({ path: `/_ddn/lambda-url/${urlId}/other/place?k=v` });
  assert.equal(byPath.status, 201);
  const pathEvent = JSON.parse(byPath.text) as UrlEvent;
  assert.equal(pathEvent.rawPath, '/other/place');
  assert.equal(pathEvent.requestContext.domainName, `${urlId}.lambda-url.${edge.region}.localhost`);
  assert.equal(pathEvent.body, undefined);

  const plain = await send({ path: '/?mode=plain', host });
  assert.equal(plain.status, 200);
  assert.match(plain.headers['content-type']!, /^application\/json/);
  assert.deepEqual(JSON.parse(plain.text), { hello: 'world' });

  const binary = await send({ path: '/?mode=binary', host });
  assert.equal(binary.headers['content-type'], 'image/png');
  assert.deepEqual([...Buffer.from(binary.text, 'latin1')], [0, 1, 2]);

  const failed = await send({ path: '/?mode=throw', host });
  assert.equal(failed.status, 502);
  assert.deepEqual(JSON.parse(failed.text), { Message: 'Internal Server Error' });

  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'public', ReservedConcurrentExecutions: 0 }));
  const throttled = await send({ path: '/', host });
  assert.equal(throttled.status, 429);

  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'public' }));
  assert.equal((await send({ path: '/', host })).status, 404);
  await sdkFunction(edge, 'public', ECHO);
  const recreated = await sdkFailure(lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'public' })));
  assert.equal(recreated.name, 'ResourceNotFoundException', 'deleting the function deleted its URL config');
});

test("an alias's URL invokes the alias's version, with the alias's policy", async () => {
  await sdkFunction(
    edge,
    'aliased',
    'export const handler = async () => ({ version: process.env.AWS_LAMBDA_FUNCTION_VERSION });',
  );
  await lambda.send(new PublishVersionCommand({ FunctionName: 'aliased' }));
  await lambda.send(new CreateAliasCommand({ FunctionName: 'aliased', Name: 'prod', FunctionVersion: '1' }));
  const created = await lambda.send(
    new CreateFunctionUrlConfigCommand({ FunctionName: 'aliased', Qualifier: 'prod', AuthType: 'NONE' }),
  );
  const { host } = urlParts(created.FunctionUrl!);
  await openToEveryone('aliased');
  assert.equal((await send({ path: '/', host })).status, 403, "the function's statements do not cover the alias");
  await openToEveryone('aliased', 'prod');
  const reply = await send({ path: '/', host });
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(JSON.parse(reply.text), { version: '1' });

  await lambda.send(new DeleteAliasCommand({ FunctionName: 'aliased', Name: 'prod' }));
  assert.equal((await send({ path: '/', host })).status, 404);
  const list = await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'aliased' }));
  assert.deepEqual(list.FunctionUrlConfigs, [], 'deleting the alias deleted its URL config');
});

test('AuthType AWS_IAM: a SigV4 signature for lambda with the edge credentials is required', async () => {
  await sdkFunction(edge, 'private', ECHO);
  const created = await createUrl('private', 'AWS_IAM');
  const { host, urlId } = urlParts(created.FunctionUrl!);

  const unsigned = await send({ path: '/', host });
  assert.equal(unsigned.status, 403);
  assert.deepEqual(JSON.parse(unsigned.text), FORBIDDEN);

  const sign = async (path: string, credentials: typeof edge.credentials, service = 'lambda') => {
    const body = '{"signed":true}';
    const headers = await signedHeaders({
      url: new URL(path, edge.url),
      host,
      service,
      region: edge.region,
      credentials,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return send({ method: 'POST', path, host, headers }, body);
  };

  const ok = await sign('/private/thing?a=b', edge.credentials);
  assert.equal(ok.status, 201, ok.text);
  const event = JSON.parse(ok.text) as UrlEvent;
  assert.equal(event.requestContext.accountId, edge.config.accountId);
  assert.deepEqual(event.requestContext.authorizer, {
    iam: {
      accessKey: edge.credentials.accessKeyId,
      accountId: edge.config.accountId,
      callerId: edge.config.accountId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: `arn:aws:iam::${edge.config.accountId}:root`,
      userId: edge.config.accountId,
    },
  });
  assert.equal(event.body, '{"signed":true}');

  const wrongSecret = await sign('/', { ...edge.credentials, secretAccessKey: 'not-the-secret' });
  assert.equal(wrongSecret.status, 403);
  const wrongService = await sign('/', edge.credentials, 'execute-api');
  assert.equal(wrongService.status, 403);
  assert.equal((await send({ path: `/_ddn/lambda-url/${urlId}/` })).status, 403);
});

test("CORS: the URL's Cors answers preflights and sets the Access-Control headers of responses", async () => {
  await sdkFunction(edge, 'browser', ECHO);
  await lambda.send(
    new CreateFunctionUrlConfigCommand({
      FunctionName: 'browser',
      AuthType: 'NONE',
      Cors: {
        AllowOrigins: ['https://app.example'],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: ['content-type', 'x-custom'],
        ExposeHeaders: ['x-fn'],
        MaxAge: 300,
      },
    }),
  );
  const { host } = urlParts(
    (await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'browser' }))).FunctionUrl!,
  );
  // No policy yet: the preflight is answered anyway (browsers send no credentials with it), the request is refused.
  const preflight = await send({
    method: 'OPTIONS',
    path: '/',
    host,
    headers: {
      origin: 'https://app.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-custom',
    },
  });
  assert.equal(preflight.status, 200);
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(preflight.headers['access-control-allow-methods'], 'GET,POST');
  assert.equal(preflight.headers['access-control-allow-headers'], 'content-type,x-custom');
  assert.equal(preflight.headers['access-control-max-age'], '300');
  const refused = await send({ path: '/', host, headers: { origin: 'https://app.example' } });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers['access-control-allow-origin'], 'https://app.example');

  await openToEveryone('browser');
  const reply = await send({ path: '/', host, headers: { origin: 'https://app.example' } });
  assert.equal(reply.status, 201);
  assert.equal(reply.headers['access-control-allow-origin'], 'https://app.example', "the URL's, not the function's");
  assert.equal(reply.headers['access-control-expose-headers'], 'x-fn');
  const otherOrigin = await send({ path: '/', host, headers: { origin: 'https://evil.example' } });
  assert.equal(otherOrigin.headers['access-control-allow-origin'], undefined);
});

test('an unknown URL id is 404 on both forms', async () => {
  const urlId = 'a'.repeat(32);
  assert.equal(
    (await send({ path: '/', host: `${urlId}.lambda-url.${edge.region}.localhost:${edge.port}` })).status,
    404,
  );
  assert.equal((await send({ path: `/_ddn/lambda-url/${urlId}/x` })).status, 404);
});

test('curl reaches the FunctionUrl itself (it resolves *.localhost to loopback) and signs for AWS_IAM', async () => {
  const curl = promisify(execFile);
  await sdkFunction(edge, 'curled', 'export const handler = async (event) => ({ path: event.rawPath });');
  const open = await createUrl('curled');
  await openToEveryone('curled');
  const plain = await curl('curl', ['-s', '-w', ' %{http_code}', `${open.FunctionUrl!}from/curl`]);
  assert.equal(plain.stdout, '{"path":"/from/curl"} 200');

  await lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'curled', AuthType: 'AWS_IAM' }));
  const unsigned = await curl('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', open.FunctionUrl!]);
  assert.equal(unsigned.stdout, '403');
  const { accessKeyId, secretAccessKey } = edge.credentials;
  const signed = await curl('curl', [
    '-s',
    '-w',
    ' %{http_code}',
    '--aws-sigv4',
    `aws:amz:${edge.region}:lambda`,
    '--user',
    `${accessKeyId}:${secretAccessKey}`,
    `${open.FunctionUrl!}signed`,
  ]);
  assert.equal(signed.stdout, '{"path":"/signed"} 200');
});
