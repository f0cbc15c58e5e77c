import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import fc from 'fast-check';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { buildQueryString, extendedEncodeURIComponent } from '@smithy/core/protocols';
import type { QueryParameterBag } from '@smithy/types';
import {
  parseSigV4,
  verifySigV4,
  s3CanonicalPath,
  type SignedRequest,
  type SigV4Params,
} from '../../src/edge/sigv4.ts';
import { AwsError } from '../../src/protocols/aws-error.ts';

const credentials = { accessKeyId: 'AKIAEXAMPLE123456789', secretAccessKey: 'secret/secret+secret' };
const Sha256 = Hash.bind(null, 'sha256') as never;

function toSigned(req: HttpRequest, rawPath: string): SignedRequest {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query ?? {})) for (const x of [v].flat()) query.append(k, x as string);
  return { method: req.method, rawPath, query, rawHeaders: Object.entries(req.headers).flat() };
}

test('header-signed requests from the SDK signer verify, for S3 and JSON services', async () => {
  for (const [service, path, escape] of [
    ['s3', '/bucket/a%20b/c', false],
    ['lambda', '/2015-03-31/functions/f/invocations', true],
  ] as const) {
    const signer = new SignatureV4({
      service,
      region: 'us-east-1',
      credentials,
      sha256: Sha256,
      uriEscapePath: escape,
    });
    const req = new HttpRequest({
      method: 'PUT',
      hostname: '127.0.0.1',
      port: 4566,
      path,
      headers: { host: '127.0.0.1:4566', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      query: { a: 'x y', b: ['2', '1'] },
    });
    const signed = (await signer.sign(req)) as HttpRequest;
    const sreq = toSigned(signed, path);
    const params = parseSigV4(sreq, 'header');
    const ok = await verifySigV4(sreq, params, {
      credentials,
      payloadHash: 'UNSIGNED-PAYLOAD',
      s3Path: service === 's3',
    });
    assert.equal(ok.service, service);
    const tampered = { ...sreq, method: 'GET' };
    await assert.rejects(
      verifySigV4(tampered, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: service === 's3' }),
      (e: AwsError) => e.code === 'SignatureDoesNotMatch' && e.status === 403,
    );
  }
});

test('presigned URLs: expiry, unknown key, wrong secret and unsigned x-amz headers are refused', async () => {
  const signer = new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    credentials,
    sha256: Sha256,
    uriEscapePath: false,
  });
  const signingDate = new Date('2026-01-01T00:00:00Z');
  const req = new HttpRequest({
    method: 'GET',
    hostname: 'localhost',
    path: '/b/k',
    headers: { host: 'localhost:4566', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
  });
  const url = (await signer.presign(req, { expiresIn: 60, signingDate })) as HttpRequest;
  const sreq = toSigned(url, '/b/k');
  const params = parseSigV4(sreq, 'query');
  const at = (s: number) => new Date(signingDate.getTime() + s * 1000);
  await verifySigV4(sreq, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: true, now: at(30) });
  await assert.rejects(
    verifySigV4(sreq, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: true, now: at(61) }),
    /Request has expired/,
  );
  await assert.rejects(
    verifySigV4(sreq, params, {
      credentials: { ...credentials, accessKeyId: 'other' },
      payloadHash: 'UNSIGNED-PAYLOAD',
      s3Path: true,
      now: at(1),
    }),
    (e: AwsError) => e.code === 'InvalidAccessKeyId',
  );
  await assert.rejects(
    verifySigV4(sreq, params, {
      credentials: { ...credentials, secretAccessKey: 'x' },
      payloadHash: 'UNSIGNED-PAYLOAD',
      s3Path: true,
      now: at(1),
    }),
    (e: AwsError) => e.code === 'SignatureDoesNotMatch',
  );
  const extra = { ...sreq, rawHeaders: [...sreq.rawHeaders, 'X-Amz-Meta-Evil', '1'] };
  await assert.rejects(
    verifySigV4(extra, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: true, now: at(1) }),
    (e: AwsError) => e.extra.HeadersNotSigned === 'x-amz-meta-evil',
  );
  const hostChanged = { ...sreq, rawHeaders: ['host', 'localhost:9999'] };
  await assert.rejects(
    verifySigV4(hostChanged, params, { credentials, payloadHash: 'UNSIGNED-PAYLOAD', s3Path: true, now: at(1) }),
    (e: AwsError) => e.code === 'SignatureDoesNotMatch',
  );
});

test('presigned parameters are validated as S3 does', () => {
  const q = (s: string): SignedRequest => ({
    method: 'GET',
    rawPath: '/b/k',
    query: new URLSearchParams(s),
    rawHeaders: ['host', 'x'],
  });
  const base =
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00';
  assert.throws(
    () => parseSigV4(q(base), 'query'),
    (e: AwsError) => e.code === 'AuthorizationQueryParametersError',
  );
  assert.throws(
    () => parseSigV4(q(`${base}&X-Amz-Expires=604801`), 'query'),
    (e: AwsError) => e.status === 400 && /604800/.test(e.message),
  );
  assert.throws(() => parseSigV4(q(`${base}&X-Amz-Expires=-1`), 'query'), /non-negative/);
  assert.throws(
    () => parseSigV4(q(`${base.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1')}&X-Amz-Expires=1`), 'query'),
    /only supports/,
  );
});

test('S3 canonical path: any key decodes and re-encodes to the SDK signer form', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), (key) => {
      const sdkForm =
        '/bucket/' +
        key
          .split('/')
          .map((s) =>
            encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()),
          )
          .join('/');
      assert.equal(s3CanonicalPath(sdkForm), sdkForm);
    }),
  );
});

// Property: whatever the SDK signs verifies, and no single-character change of path, query or a signed header does.

const RESERVED = [...`/?#[]@!$&'()*+,;=%: ~.-_"<>\\^\`{|}`];
const textChar = fc.oneof(fc.constantFrom(...RESERVED), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const text = (minLength: number) => fc.string({ unit: textChar, minLength, maxLength: 12 });
const queryName = fc
  .oneof(fc.constantFrom('a', 'prefix', 'list-type', 'response-content-type'), text(1))
  .filter((n) => !/^x-amz-/i.test(n));
const queryPairs = fc.array(fc.tuple(queryName, fc.oneof(fc.constant(''), text(1))), { maxLength: 6 });
const headerValue = fc.string({
  unit: fc.constantFrom(...'aZ09 -_/=+,;:"\'()!~*.'.split(''), '  ', '\t'),
  maxLength: 16,
});
const metaHeaders = fc.dictionary(
  fc.stringMatching(/^[a-z0-9-]{1,8}$/).map((n) => `x-amz-meta-${n}`),
  headerValue,
  { maxKeys: 3 },
);
const methods = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD');
const signingDate = new Date('2026-03-01T12:00:00Z');
const HOST = '127.0.0.1:4566';

/** The key on the wire as the S3 serializer writes it: each segment escaped, slashes kept. */
const wireKey = (key: string) => key.split('/').map(extendedEncodeURIComponent).join('/');

function toBag(pairs: Array<[string, string]>): QueryParameterBag {
  const bag: QueryParameterBag = Object.create(null);
  for (const [k, v] of pairs) {
    const prev = bag[k];
    bag[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev as string, v];
  }
  return bag;
}

/** The request as the edge sees it, from the signed request as the SDK's HTTP handler puts it on the wire. */
function onTheWire(signed: {
  method: string;
  path: string;
  query?: QueryParameterBag;
  headers: Record<string, string>;
}): SignedRequest {
  return {
    method: signed.method,
    rawPath: signed.path,
    query: new URLSearchParams(buildQueryString(signed.query ?? {})),
    rawHeaders: Object.entries(signed.headers).flat(),
  };
}

/** Splits a presigned URL string exactly as the edge splits the request line. */
function fromUrl(method: string, url: string): SignedRequest {
  const rest = url.slice(url.indexOf('/', url.indexOf('//') + 2));
  const q = rest.indexOf('?');
  return {
    method,
    rawPath: rest.slice(0, q),
    query: new URLSearchParams(rest.slice(q + 1)),
    rawHeaders: ['host', new URL(url).host],
  };
}

/** One code point of `s` replaced by a different, non-space character (or one inserted into an empty string). */
function tamper(s: string, at: number): string {
  const cps = [...s];
  if (cps.length === 0) return 'x';
  const i = at % cps.length;
  cps[i] = cps[i] === 'q' ? 'Q' : 'q';
  return cps.join('');
}

type Tampering = { target: 'path' | 'query' | 'header'; at: number; field: number };
const tampering = fc.record({
  target: fc.constantFrom('path', 'query', 'header'),
  at: fc.nat(),
  field: fc.nat(),
}) as fc.Arbitrary<Tampering>;

/** Applies one tampering to the request; returns undefined when the request has nothing of that kind to change. */
function tampered(
  req: SignedRequest,
  t: Tampering,
  signedHeaders: string[],
  userQuery: (name: string) => boolean,
): SignedRequest | undefined {
  if (t.target === 'path') {
    const segments = req.rawPath.split('/').slice(1).map(decodeURIComponent);
    const key = segments.join('/');
    return { ...req, rawPath: `/${wireKey(tamper(key, t.at))}` };
  }
  if (t.target === 'query') {
    const entries = [...req.query];
    const candidates = entries.map((e, i) => [e, i] as const).filter(([[name]]) => userQuery(name));
    if (candidates.length === 0) return undefined;
    const [[name, value], index] = candidates[t.field % candidates.length];
    entries[index] = t.at % 2 === 0 ? [tamper(name, t.at >> 1), value] : [name, tamper(value, t.at >> 1)];
    return { ...req, query: new URLSearchParams(entries) };
  }
  const names = signedHeaders.filter((n) => n !== 'x-amz-date' && n !== 'x-amz-content-sha256');
  const name = names[t.field % names.length];
  const raw = [...req.rawHeaders];
  const at = raw.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name);
  raw[at + 1] = tamper(raw[at + 1], t.at);
  return { ...req, rawHeaders: raw };
}

async function assertRefused(
  req: SignedRequest,
  params: SigV4Params,
  options: Parameters<typeof verifySigV4>[2],
): Promise<void> {
  await assert.rejects(
    verifySigV4(req, params, options),
    (e: AwsError) => e.code === 'SignatureDoesNotMatch' && e.status === 403,
  );
}

test('property: SDK header signatures and presigned URLs verify; one changed character of path, query or signed header does not', async () => {
  const signer = new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    credentials,
    sha256: Sha256,
    uriEscapePath: false,
  });
  const options = {
    credentials,
    payloadHash: 'UNSIGNED-PAYLOAD',
    s3Path: true,
    now: new Date(signingDate.getTime() + 1000),
  };
  await fc.assert(
    fc.asyncProperty(
      methods,
      text(1),
      queryPairs,
      metaHeaders,
      fc.boolean(),
      tampering,
      async (method, key, pairs, meta, presign, t) => {
        const request = new HttpRequest({
          method,
          hostname: '127.0.0.1',
          port: 4566,
          path: `/bucket/${wireKey(key)}`,
          query: toBag(pairs),
          headers: { host: HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...meta },
        });
        const signed = (
          presign
            ? await signer.presign(request, { expiresIn: 300, signingDate })
            : await signer.sign(request, { signingDate })
        ) as HttpRequest;
        const wire = onTheWire(signed);
        const params = parseSigV4(wire, presign ? 'query' : 'header');
        await verifySigV4(wire, params, options);
        const changed = tampered(wire, t, params.signedHeaders, (name) => !name.startsWith('X-Amz-'));
        if (changed) await assertRefused(changed, params, options);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: S3 presigner URLs (GetObject with response overrides, PutObject) verify; one changed character does not', async () => {
  const client = new S3Client({ region: 'us-east-1', endpoint: `http://${HOST}`, forcePathStyle: true, credentials });
  const options = {
    credentials,
    payloadHash: 'UNSIGNED-PAYLOAD',
    s3Path: true,
    now: new Date(signingDate.getTime() + 1000),
  };
  await fc.assert(
    fc.asyncProperty(
      text(1),
      fc.option(text(0), { nil: undefined }),
      fc.boolean(),
      tampering,
      async (key, disposition, put, t) => {
        const command = put
          ? new PutObjectCommand({ Bucket: 'bucket', Key: key })
          : new GetObjectCommand({ Bucket: 'bucket', Key: key, ResponseContentDisposition: disposition });
        const url = await getSignedUrl(client, command, { expiresIn: 300, signingDate });
        const wire = fromUrl(put ? 'PUT' : 'GET', url);
        const params = parseSigV4(wire, 'query');
        await verifySigV4(wire, params, options);
        const changed = tampered(
          wire,
          t,
          params.signedHeaders,
          (name) => !name.startsWith('X-Amz-') && name !== 'x-id',
        );
        if (changed) await assertRefused(changed, params, options);
      },
    ),
    { numRuns: 200 },
  );
});
