// The protocol writers' exact formats, read back over a real HTTP connection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError, type ResponseTarget } from '../../src/protocols/aws-error.ts';
import { jsonError, serveJson, writeJsonProtocolError, type JsonService } from '../../src/protocols/json.ts';
import { queryError, writeQueryError } from '../../src/protocols/query.ts';
import { writeRestJsonError } from '../../src/protocols/rest-json.ts';
import { writeRestXmlError } from '../../src/protocols/rest-xml.ts';
import { runtimeApiError, writeRuntimeApiError } from '../../src/protocols/runtime-api.ts';

const COGNITO: JsonService = {
  name: 'cognito-idp',
  targetPrefix: 'AWSCognitoIdentityProviderService',
  jsonVersion: '1.1',
};
type Writer = (
  target: ResponseTarget & { method: string },
  req: http.IncomingMessage,
  body: Buffer,
) => Promise<void> | void;

const writers: Record<string, Writer> = {
  'json-error': (t) => writeJsonProtocolError(t, '1.1', jsonError('SerializationException', 'bad <json>')),
  'json-auth': (t) => writeJsonProtocolError(t, '1.0', new AwsError(403, 'InvalidAccessKeyId', 'no such key')),
  'json-serve': (t, req, body) =>
    serveJson(COGNITO, { ListUserPools: (input) => ({ echo: input }) }, t, req.headers['x-amz-target'], body),
  'query-error': (t) =>
    writeQueryError(t, { namespace: 'https://iam.amazonaws.com/doc/2010-05-08/' }, queryError('MissingAction')),
  'rest-json-auth': (t) => writeRestJsonError(t, new AwsError(403, 'SignatureDoesNotMatch', 'x')),
  'rest-xml-error': (t) =>
    writeRestXmlError(t, new AwsError(404, 'NoSuchHostedZone', 'No hosted zone <x>'), { root: 'ErrorResponse' }),
  'runtime-api': (t) => writeRuntimeApiError(t.res, runtimeApiError('InvalidStateTransition')),
};

let server: http.Server;
let base: string;
before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = { res, requestId: 'req-1', method: req.method ?? 'GET' };
      Promise.resolve(writers[req.url!.slice(1)](target, req, Buffer.concat(chunks))).catch((err: unknown) => {
        writeJsonProtocolError(target, '1.1', err as AwsError);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
});

async function call(
  name: string,
  init?: RequestInit,
): Promise<{ status: number; type: string | null; errorType: string | null; body: string }> {
  const res = await fetch(`${base}/${name}`, init);
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    errorType: res.headers.get('x-amzn-errortype'),
    body: await res.text(),
  };
}

test('JSON 1.0/1.1: __type and message in the body, the version in the content type, auth errors in JSON codes', async () => {
  assert.deepEqual(await call('json-error'), {
    status: 400,
    type: 'application/x-amz-json-1.1',
    errorType: 'SerializationException',
    body: '{"__type":"SerializationException","message":"bad <json>"}',
  });
  const auth = await call('json-auth');
  assert.deepEqual(
    [auth.status, auth.type, JSON.parse(auth.body).__type],
    [403, 'application/x-amz-json-1.0', 'UnrecognizedClientException'],
  );
});

test('serveJson: the X-Amz-Target operation runs; another is 501 naming it; a foreign target or bad JSON is 400', async () => {
  const post = (target: string, body: string) =>
    call('json-serve', { method: 'POST', headers: { 'x-amz-target': target }, body });
  const ok = await post('AWSCognitoIdentityProviderService.ListUserPools', '{"MaxResults":1}');
  assert.deepEqual([ok.status, ok.type, ok.body], [200, 'application/x-amz-json-1.1', '{"echo":{"MaxResults":1}}']);
  const missing = await post('AWSCognitoIdentityProviderService.CreateUserPool', '{}');
  assert.equal(missing.status, 501);
  assert.deepEqual(JSON.parse(missing.body), {
    __type: 'NotImplemented',
    message: 'The cognito-idp operation CreateUserPool is not implemented by the local edge.',
  });
  assert.equal(JSON.parse((await post('DynamoDB_20120810.ListTables', '{}')).body).__type, 'UnknownOperationException');
  assert.equal(
    JSON.parse((await post('AWSCognitoIdentityProviderService.ListUserPools', '{')).body).__type,
    'SerializationException',
  );
});

test('query: ErrorResponse in the service namespace with Type, Code, Message and RequestId', async () => {
  const res = await call('query-error');
  assert.equal(res.status, 400);
  assert.equal(res.type, 'text/xml');
  assert.match(
    res.body,
    /^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/">\n {2}<Error>\n {4}<Type>Sender<\/Type>\n {4}<Code>MissingAction<\/Code>/,
  );
  assert.match(res.body, /<RequestId>req-1<\/RequestId>\n<\/ErrorResponse>\n$/);
});

test('rest-json and rest-xml: x-amzn-errortype with a message body; ErrorResponse XML with escaped text', async () => {
  const json = await call('rest-json-auth');
  assert.deepEqual(
    [json.status, json.errorType, (JSON.parse(json.body) as { message: string }).message.slice(0, 21)],
    [403, 'InvalidSignatureException', 'The request signature'],
  );
  const xml = await call('rest-xml-error');
  assert.deepEqual([xml.status, xml.type], [404, 'application/xml']);
  assert.match(
    xml.body,
    /<ErrorResponse><Error><Type>Sender<\/Type><Code>NoSuchHostedZone<\/Code><Message>No hosted zone &lt;x&gt;<\/Message><\/Error><RequestId>req-1<\/RequestId><\/ErrorResponse>$/,
  );
  const head = await call('rest-xml-error', { method: 'HEAD' });
  assert.deepEqual([head.status, head.body], [404, '']);
});

test('Runtime API: errorMessage and errorType, plain JSON', async () => {
  const res = await call('runtime-api');
  assert.deepEqual(
    [res.status, res.type, JSON.parse(res.body)],
    [
      403,
      'application/json',
      { errorMessage: 'State transition from the current state is not allowed.', errorType: 'InvalidStateTransition' },
    ],
  );
});
