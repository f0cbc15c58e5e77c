import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { errorCode, rawRequest, sdkClient, signHeaders, signedChunks } from './helpers.ts';

const BUCKET = 'rejections';
const KEY = 'the-object';
const ORIGINAL = 'original content';
let edge: TestEdge;

before(async () => {
  edge = await startTestEdge();
  const s3 = sdkClient(edge);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: ORIGINAL }));
});
after(async () => edge.close());

async function assertUnchanged(): Promise<void> {
  const got = await sdkClient(edge).send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
  assert.equal(await got.Body!.transformToString(), ORIGINAL, 'the stored object is unchanged');
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const crc32b64 = (b: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b) >>> 0);
  return out.toString('base64');
};

async function putSigned(
  headers: Record<string, string>,
  body: Buffer,
  contentSha256: string,
  extra: { signingDate?: Date; credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
) {
  const s = await signHeaders(edge, { method: 'PUT', path: `/${BUCKET}/${KEY}`, headers, contentSha256, ...extra });
  return rawRequest(edge.url, 'PUT', s.path, s.headers, body);
}

function assertError(
  res: { status: number; body: string; headers: Record<string, unknown> },
  status: number,
  code: string,
): void {
  assert.equal(res.status, status, res.body);
  assert.equal(errorCode(res.body), code, res.body);
  assert.ok(res.headers['x-amz-request-id'], 'x-amz-request-id is set');
}

test('a body that does not match the signed x-amz-content-sha256 is XAmzContentSHA256Mismatch', async () => {
  const body = Buffer.from('tampered body');
  const res = await putSigned({ 'content-length': String(body.length) }, body, sha256('another body'));
  assertError(res, 400, 'XAmzContentSHA256Mismatch');
  await assertUnchanged();
});

test('Content-MD5: malformed is InvalidDigest, wrong is BadDigest', async () => {
  const body = Buffer.from('new content');
  const invalid = await putSigned(
    { 'content-length': String(body.length), 'content-md5': 'not-md5' },
    body,
    sha256(body),
  );
  assertError(invalid, 400, 'InvalidDigest');
  const wrong = await putSigned(
    { 'content-length': String(body.length), 'content-md5': createHash('md5').update('other').digest('base64') },
    body,
    sha256(body),
  );
  assertError(wrong, 400, 'BadDigest');
  await assertUnchanged();
});

test('a wrong x-amz-checksum-crc32 header is BadDigest', async () => {
  const body = Buffer.from('new content');
  const res = await putSigned(
    { 'content-length': String(body.length), 'x-amz-checksum-crc32': crc32b64(Buffer.from('x')) },
    body,
    'UNSIGNED-PAYLOAD',
  );
  assertError(res, 400, 'BadDigest');
  await assertUnchanged();
});

test('STREAMING-UNSIGNED-PAYLOAD-TRAILER: good trailer stores the decoded bytes, a wrong trailer is BadDigest', async () => {
  const data = Buffer.from('streamed with a trailer');
  const frame = (checksum: string) =>
    Buffer.from(`${data.length.toString(16)}\r\n${data.toString()}\r\n0\r\nx-amz-checksum-crc32:${checksum}\r\n\r\n`);
  const headers = {
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': String(data.length),
    'x-amz-trailer': 'x-amz-checksum-crc32',
  };
  const bad = await putSigned(headers, frame(crc32b64(Buffer.from('other'))), 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  assertError(bad, 400, 'BadDigest');
  await assertUnchanged();

  const s = await signHeaders(edge, {
    method: 'PUT',
    path: `/${BUCKET}/trailer-ok`,
    headers,
    contentSha256: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  });
  const ok = await rawRequest(edge.url, 'PUT', s.path, s.headers, frame(crc32b64(data)));
  assert.equal(ok.status, 200, ok.body);
  const got = await sdkClient(edge).send(
    new GetObjectCommand({ Bucket: BUCKET, Key: 'trailer-ok', ChecksumMode: 'ENABLED' }),
  );
  assert.equal(await got.Body!.transformToString(), data.toString());
  assert.equal(got.ChecksumCRC32, crc32b64(data));
});

test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER): chunk signatures are verified', async () => {
  const chunks = [Buffer.alloc(8192, 1), Buffer.alloc(100, 2)];
  const whole = Buffer.concat(chunks);
  for (const trailer of [false, true]) {
    const contentSha256 = trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
    const headers: Record<string, string> = {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(whole.length),
    };
    if (trailer) headers['x-amz-trailer'] = 'x-amz-checksum-crc32';
    const key = `signed-chunks-${trailer}`;
    const s = await signHeaders(edge, { method: 'PUT', path: `/${BUCKET}/${key}`, headers, contentSha256 });
    const framed = signedChunks(chunks, s, trailer ? ['x-amz-checksum-crc32', crc32b64(whole)] : undefined);
    const ok = await rawRequest(
      edge.url,
      'PUT',
      s.path,
      { ...s.headers, 'content-length': String(framed.length) },
      framed,
    );
    assert.equal(ok.status, 200, ok.body);
    const got = await sdkClient(edge).send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(whole));

    const s2 = await signHeaders(edge, { method: 'PUT', path: `/${BUCKET}/${KEY}`, headers, contentSha256 });
    const forged = signedChunks(chunks, s2, trailer ? ['x-amz-checksum-crc32', crc32b64(whole)] : undefined);
    forged[forged.indexOf(chunks[1])] ^= 0xff; // one byte of the second chunk changed after signing
    const bad = await rawRequest(
      edge.url,
      'PUT',
      s2.path,
      { ...s2.headers, 'content-length': String(forged.length) },
      forged,
    );
    assertError(bad, 403, 'SignatureDoesNotMatch');
    await assertUnchanged();
  }
});

test('header auth: clock skew over 15 minutes, unknown key and wrong secret are refused', async () => {
  const body = Buffer.from('new content');
  const skewed = await putSigned({ 'content-length': String(body.length) }, body, sha256(body), {
    signingDate: new Date(Date.now() - 16 * 60 * 1000),
  });
  assertError(skewed, 403, 'RequestTimeTooSkewed');
  const unknown = await putSigned({ 'content-length': String(body.length) }, body, sha256(body), {
    credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: edge.credentials.secretAccessKey },
  });
  assertError(unknown, 403, 'InvalidAccessKeyId');
  const wrong = await putSigned({ 'content-length': String(body.length) }, body, sha256(body), {
    credentials: { accessKeyId: edge.credentials.accessKeyId, secretAccessKey: 'wrong' },
  });
  assertError(wrong, 403, 'SignatureDoesNotMatch');
  await assertUnchanged();
});

test('presigned URLs: expired, over 7 days, unknown key, unsigned x-amz header, other host, other method', async () => {
  const s3 = sdkClient(edge);
  const put = (url: string, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'PUT', body: 'evil', headers });
  const asRaw = async (r: Response) => ({
    status: r.status,
    body: await r.text(),
    headers: { 'x-amz-request-id': r.headers.get('x-amz-request-id') },
  });

  const expired = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: KEY }), {
    expiresIn: 60,
    signingDate: new Date(Date.now() - 120_000),
  });
  const e = await asRaw(await put(expired));
  assertError(e, 403, 'AccessDenied');
  assert.match(e.body, /Request has expired/);
  assert.match(e.body, /<X-Amz-Expires>60<\/X-Amz-Expires>/);

  const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: KEY }), { expiresIn: 300 });
  assertError(
    await asRaw(await put(url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604801'))),
    400,
    'AuthorizationQueryParametersError',
  );
  assertError(
    await asRaw(await put(url.replace(/X-Amz-Credential=[^%]+/, 'X-Amz-Credential=AKIAUNKNOWN'))),
    403,
    'InvalidAccessKeyId',
  );
  const unsignedHeader = await asRaw(await put(url, { 'x-amz-meta-evil': '1' }));
  assertError(unsignedHeader, 403, 'AccessDenied');
  assert.match(unsignedHeader.body, /<HeadersNotSigned>x-amz-meta-evil<\/HeadersNotSigned>/);
  const otherHost = await rawRequest(
    edge.url,
    'PUT',
    url.slice(edge.url.length),
    { host: `localhost:${edge.port + 1}`, 'content-length': '4' },
    'evil',
  );
  assertError(otherHost, 403, 'SignatureDoesNotMatch');
  const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: KEY }), { expiresIn: 300 });
  assertError(await asRaw(await put(getUrl)), 403, 'SignatureDoesNotMatch');
  assertError(
    await asRaw(await put(url.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=' + '0'.repeat(64)))),
    403,
    'SignatureDoesNotMatch',
  );
  await assertUnchanged();
});

test('anonymous requests are AccessDenied; HEAD errors have no body', async () => {
  const put = await rawRequest(edge.url, 'PUT', `/${BUCKET}/${KEY}`, { 'content-length': '4' }, 'evil');
  assertError(put, 403, 'AccessDenied');
  const head = await rawRequest(edge.url, 'HEAD', `/${BUCKET}/missing`, {});
  assert.equal(head.status, 403);
  assert.equal(head.body, '');
  await assertUnchanged();
});
