// The protocol layer's shared pieces, as units, and where services use them: page tokens, URI decoding, escapeXml.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GetApisCommand } from '@aws-sdk/client-apigatewayv2';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, CreateMultipartUploadCommand, S3Client, UploadPartCopyCommand } from '@aws-sdk/client-s3';
import { PageTokens, pageSize } from '../../src/protocols/pagination.ts';
import { decodeUri, decodeUriOrKeep } from '../../src/protocols/uri.ts';
import { escapeXml } from '../../src/protocols/xml.ts';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { loadServiceModel, sendSigned } from '../helpers/botocore-walk.ts';
import { clients } from '../apigw/helpers.ts';

let edge: TestEdge;
before(async () => {
  edge = await startTestEdge();
});
after(async () => {
  await edge.close();
});

test('page tokens round-trip any position and refuse what they did not make', () => {
  const apis = new PageTokens('apis');
  fc.assert(fc.property(fc.string(), (position) => apis.decode(apis.encode(position)) === position));
  assert.equal(apis.decodeInteger(apis.encode(42)), 42);
  for (const bad of [
    '',
    'not a token',
    'MTI',
    Buffer.from('12').toString('base64url'),
    new PageTokens('routes').encode(1),
    apis.encode('x'),
  ]) {
    assert.equal(apis.decodeInteger(bad), undefined, bad);
  }
  assert.deepEqual([pageSize(null, 25, 500), pageSize('7', 25, 500), pageSize('9999', 25, 500)], [25, 7, 500]);
  assert.deepEqual(
    [pageSize('0', 25, 500), pageSize('1.5', 25, 500), pageSize('', 25, 500)],
    [undefined, undefined, undefined],
  );
});

test('URI decoding: a bad escape is undefined (or kept where only matching needs it), never a throw', () => {
  assert.equal(decodeUri('a%20b'), 'a b');
  assert.equal(decodeUri('%E0%A4%A'), undefined);
  assert.equal(decodeUri('%'), undefined);
  assert.equal(decodeUriOrKeep('%zz'), '%zz');
});

test('escapeXml: markup characters and control characters become references', () => {
  assert.equal(escapeXml(`<a href="x">'&'</a>\u0001`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;&#x1;');
});

test('a bad nextToken or Marker is the service error, not page 1', async () => {
  const { apigw, lambda } = clients(edge);
  await assert.rejects(
    apigw.send(new GetApisCommand({ NextToken: 'bogus' })),
    (err: Error) => err.name === 'BadRequestException',
  );
  await assert.rejects(
    lambda.send(new ListFunctionsCommand({ Marker: 'bogus' })),
    (err: Error) => err.name === 'InvalidParameterValueException',
  );
});

test('a bad % escape in a management path is 400 in the service format, never 500', async () => {
  const apigw = loadServiceModel('apigatewayv2');
  const res = await sendSigned(edge, apigw, { method: 'GET', path: '/v2/apis/%E0%A4%A', headers: {}, body: '' });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('x-amzn-errortype'), 'BadRequestException');
  const lambda = loadServiceModel('lambda');
  const fn = await sendSigned(edge, lambda, {
    method: 'GET',
    path: '/2015-03-31/functions/%E0%A4%A',
    headers: {},
    body: '',
  });
  assert.equal(fn.status, 400);
  assert.equal(fn.headers.get('x-amzn-errortype'), 'InvalidParameterValueException');
});

test('a bad % escape in an UploadPartCopy source is 400 InvalidArgument, never 500', async () => {
  const s3 = new S3Client({
    region: edge.region,
    endpoint: edge.url,
    credentials: edge.credentials,
    forcePathStyle: true,
  });
  await s3.send(new CreateBucketCommand({ Bucket: 'escapes' }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'escapes', Key: 'k' }));
  const copy = new UploadPartCopyCommand({
    Bucket: 'escapes',
    Key: 'k',
    UploadId,
    PartNumber: 1,
    CopySource: 'escapes/%E0%A4%A',
  });
  await assert.rejects(s3.send(copy), (err: Error & { $metadata: { httpStatusCode?: number } }) => {
    assert.deepEqual([err.name, err.$metadata.httpStatusCode], ['InvalidArgument', 400]);
    return true;
  });
});
