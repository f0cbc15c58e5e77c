import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import fc from 'fast-check';
import { parseSigV4, verifySigV4, s3CanonicalPath, type SignedRequest } from '../../src/edge/sigv4.ts';
import { AwsError } from '../../src/edge/errors.ts';

const credentials = { accessKeyId: 'AKIAEXAMPLE123456789', secretAccessKey: 'secret/secret+secret' };
const Sha256 = Hash.bind(null, 'sha256') as never;

function toSigned(req: HttpRequest, rawPath: string): SignedRequest {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query ?? {})) for (const x of [v].flat()) query.append(k, x as string);
  return { method: req.method, rawPath, query, rawHeaders: Object.entries(req.headers).flat() };
}

test('header-signed requests from the SDK signer verify, for S3 and JSON services', async () => {
  for (const [service, path, escape] of [['s3', '/bucket/a%20b/c', false], ['lambda', '/2015-03-31/functions/f/invocations', true]] as const) {
    const signer = new SignatureV4({ service, region: 'us-east-1', credentials, sha256: Sha256, uriEscapePath: escape });
    const req = new HttpRequest({ method: 'PUT', hostname: '127.0.0.1', port: 4566, path, headers: { host: '127.0.0.1:4566', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, query: { a: 'x y', b: ['2', '1'] } });
    const signed = (await signer.sign(req)) as HttpRequest;
    const sreq = toSigned(signed, path);
    const params = parseSigV4(sreq, 'header');
    const ok = await verifySigV4(sreq, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: service === 's3' });
    assert.equal(ok.service, service);
    const tampered = { ...sreq, method: 'GET' };
    await assert.rejects(verifySigV4(tampered, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: service === 's3' }), (e: AwsError) => e.code === 'SignatureDoesNotMatch' && e.status === 403);
  }
});

test('presigned URLs: expiry, unknown key, wrong secret and unsigned x-amz headers are refused', async () => {
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials, sha256: Sha256, uriEscapePath: false });
  const signingDate = new Date('2026-01-01T00:00:00Z');
  const req = new HttpRequest({ method: 'GET', hostname: 'localhost', path: '/b/k', headers: { host: 'localhost:4566', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const url = (await signer.presign(req, { expiresIn: 60, signingDate })) as HttpRequest;
  const sreq = toSigned(url, '/b/k');
  const params = parseSigV4(sreq, 'query');
  const at = (s: number) => new Date(signingDate.getTime() + s * 1000);
  await verifySigV4(sreq, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: true, now: at(30) });
  await assert.rejects(verifySigV4(sreq, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: true, now: at(61) }), /Request has expired/);
  await assert.rejects(verifySigV4(sreq, params, { credentials: { ...credentials, accessKeyId: 'other' }, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: true, now: at(1) }), (e: AwsError) => e.code === 'InvalidAccessKeyId');
  await assert.rejects(verifySigV4(sreq, params, { credentials: { ...credentials, secretAccessKey: 'x' }, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: true, now: at(1) }), (e: AwsError) => e.code === 'SignatureDoesNotMatch');
  const extra = { ...sreq, rawHeaders: [...sreq.rawHeaders, 'X-Amz-Meta-Evil', '1'] };
  await assert.rejects(verifySigV4(extra, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: true, now: at(1) }), (e: AwsError) => e.extra.HeadersNotSigned === 'x-amz-meta-evil');
  const hostChanged = { ...sreq, rawHeaders: ['host', 'localhost:9999'] };
  await assert.rejects(verifySigV4(hostChanged, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: true, now: at(1) }), (e: AwsError) => e.code === 'SignatureDoesNotMatch');
});

test('presigned parameters are validated as S3 does', () => {
  const q = (s: string): SignedRequest => ({ method: 'GET', rawPath: '/b/k', query: new URLSearchParams(s), rawHeaders: ['host', 'x'] });
  const base = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00';
  assert.throws(() => parseSigV4(q(base), 'query'), (e: AwsError) => e.code === 'AuthorizationQueryParametersError');
  assert.throws(() => parseSigV4(q(`${base}&X-Amz-Expires=604801`), 'query'), (e: AwsError) => e.status === 400 && /604800/.test(e.message));
  assert.throws(() => parseSigV4(q(`${base}&X-Amz-Expires=-1`), 'query'), /non-negative/);
  assert.throws(() => parseSigV4(q(`${base.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1')}&X-Amz-Expires=1`), 'query'), /only supports/);
});

test('S3 canonical path: any key decodes and re-encodes to the SDK signer form', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), (key) => {
      const sdkForm = '/bucket/' + key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('/');
      assert.equal(s3CanonicalPath(sdkForm), sdkForm);
    }),
  );
});
