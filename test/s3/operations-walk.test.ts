// Every operation of botocore's S3 model is either implemented or answered 501 NotImplemented in S3's XML, naming
// it; the 501s change nothing (the bucket and its object are still there, nothing was created).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import {
  PLACEHOLDER,
  botocoreDataDir,
  isNotImplemented,
  loadServiceModel,
  parseError,
  requestFor,
  sendSigned,
  type ModelOperation,
  type ServiceModel,
  type WalkAnswer,
} from '../helpers/botocore-walk.ts';
import { handlerOf } from '../../src/s3/handlers.ts';
import { S3_OPERATION_SHAPES, type S3OperationShape } from '../../src/s3/operations.ts';
import { sdkClient } from './helpers.ts';

let edge: TestEdge;
const CONTENT = 'the walk leaves this alone';

before(async () => {
  edge = await startTestEdge();
  const s3 = sdkClient(edge);
  await s3.send(new CreateBucketCommand({ Bucket: PLACEHOLDER }));
  await s3.send(new PutObjectCommand({ Bucket: PLACEHOLDER, Key: PLACEHOLDER, Body: CONTENT }));
});
after(async () => edge.close());

interface RawShape {
  type: string;
  required?: string[];
  members?: Record<string, { shape: string; location?: string; locationName?: string }>;
}

/** The query parameters and headers the model marks required, per operation (read from botocore's JSON). */
function requiredMembers(): Map<string, { query: string[]; headers: string[] }> {
  const dir = path.join(botocoreDataDir(), 's3');
  const version = readdirSync(dir)
    .filter((v) => /^\d{4}-/.test(v))
    .sort()
    .at(-1)!;
  const file = path.join(dir, version, 'service-2.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = gunzipSync(readFileSync(`${file}.gz`)).toString('utf8');
  }
  const model = JSON.parse(text) as {
    operations: Record<string, { input?: { shape: string } }>;
    shapes: Record<string, RawShape>;
  };
  const out = new Map<string, { query: string[]; headers: string[] }>();
  for (const [name, op] of Object.entries(model.operations)) {
    const shape = op.input ? model.shapes[op.input.shape] : undefined;
    const entry = { query: [] as string[], headers: [] as string[] };
    for (const member of shape?.required ?? []) {
      const m = shape!.members![member];
      if (m.location === 'querystring') entry.query.push(m.locationName!);
      if (m.location === 'header') entry.headers.push(m.locationName!.toLowerCase());
    }
    out.set(name, entry);
  }
  return out;
}

const REQUIRED_VALUES: Record<string, string> = {
  partNumber: '1',
  'x-amz-copy-source': `/${PLACEHOLDER}/${PLACEHOLDER}`,
  'x-amz-rename-source': `/${PLACEHOLDER}/${PLACEHOLDER}`,
  'x-amz-object-attributes': 'ETag',
};

/** Sends the operation as botocore shapes it: method, request URI, and every required query parameter and header. */
async function send(
  model: ServiceModel,
  op: ModelOperation,
  required: { query: string[]; headers: string[] },
): Promise<WalkAnswer> {
  const request = requestFor(model, op);
  const url = new URL(request.path, 'http://edge');
  for (const name of required.query) url.searchParams.set(name, REQUIRED_VALUES[name] ?? PLACEHOLDER);
  request.path = url.pathname + url.search.replace(/=(?=&|$)/g, '');
  for (const name of required.headers) request.headers[name] = REQUIRED_VALUES[name] ?? PLACEHOLDER;
  const res = await sendSigned(edge, model, request);
  const body = await res.text();
  return {
    operation: op.name,
    request,
    status: res.status,
    error: parseError('rest-xml', res.status, res.headers, body),
    contentType: res.headers.get('content-type') ?? '',
    body,
  };
}

async function snapshot() {
  const s3 = sdkClient(edge);
  const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: PLACEHOLDER }));
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: PLACEHOLDER }));
  const body = await (
    await s3.send(new GetObjectCommand({ Bucket: PLACEHOLDER, Key: PLACEHOLDER }))
  ).Body!.transformToString();
  return {
    buckets,
    versions: versions.Versions?.map((v) => [v.Key, v.VersionId, v.ETag]),
    deleteMarkers: versions.DeleteMarkers?.length ?? 0,
    uploads: uploads.Uploads?.length ?? 0,
    body,
  };
}

test('S3: every operation of the model is implemented or 501 NotImplemented naming it, and the 501s change nothing', async () => {
  const model = loadServiceModel('s3');
  const required = requiredMembers();
  const shapes = new Map<string, S3OperationShape>(
    S3_OPERATION_SHAPES.flatMap((shape) => shape.names.map((n) => [n, shape])),
  );
  assert.deepEqual(
    [...shapes.keys()].sort(),
    model.operations.map((o) => o.name).sort(),
    'the generated table covers the model',
  );
  const implemented = (name: string) => handlerOf(shapes.get(name)!) !== undefined;

  const before = await snapshot();
  const unimplemented = model.operations.filter((op) => !implemented(op.name));
  assert.ok(unimplemented.length > 40, `${unimplemented.length} operations answer 501`);
  for (const op of unimplemented) {
    const a = await send(model, op, required.get(op.name)!);
    const where = `${op.name}: ${a.request.method} ${a.request.path} -> ${a.status} ${a.body.slice(0, 300)}`;
    assert.ok(isNotImplemented(a), where);
    assert.match(a.contentType, /^application\/xml/, where);
    assert.match(a.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>NotImplemented<\/Code>/, where);
    assert.ok(a.error!.message.includes(op.name), `${where} (the message names the operation)`);
  }
  assert.deepEqual(await snapshot(), before, 'nothing fell through: same buckets, versions, uploads and content');

  for (const op of model.operations.filter((o) => implemented(o.name))) {
    const a = await send(model, op, required.get(op.name)!);
    const where = `${op.name}: ${a.request.method} ${a.request.path} -> ${a.status} ${a.body.slice(0, 300)}`;
    assert.ok(!isNotImplemented(a) && a.status < 500, where);
    if (a.status >= 300 && a.request.method !== 'HEAD') assert.ok(a.error, `${where} (an S3 error document)`);
  }
});

test('the requests the issue names no longer fall through', async () => {
  const model = loadServiceModel('s3');
  const required = requiredMembers();
  const op = (name: string) => model.operations.find((o) => o.name === name)!;
  const s3 = sdkClient(edge);
  await s3.send(new CreateBucketCommand({ Bucket: 'empty-bucket' }));
  const metadata = await send(model, op('DeleteBucketMetadataConfiguration'), { query: [], headers: [] });
  assert.equal(metadata.status, 501);
  const rename = await send(model, op('RenameObject'), required.get('RenameObject')!);
  assert.equal(rename.status, 501);
  const empty = {
    ...op('DeleteBucketMetadataConfiguration'),
    http: { method: 'DELETE', requestUri: '/empty-bucket?metadataConfiguration' },
  };
  assert.equal((await send(model, empty, { query: [], headers: [] })).status, 501);
  const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
  assert.ok(buckets?.includes('empty-bucket'), 'the empty bucket is still there');
  const stray = { ...op('PutObject'), http: { method: 'PUT', requestUri: `/${PLACEHOLDER}/new-key?versioning` } };
  const strayAnswer = await send(model, stray, { query: [], headers: [] });
  assert.equal(strayAnswer.status, 501, strayAnswer.body);
  const list = await s3.send(new ListObjectVersionsCommand({ Bucket: PLACEHOLDER, Prefix: 'new-key' }));
  assert.equal(list.Versions, undefined, 'PUT ?versioning on a key created nothing');
});

test('a POST to a key naming no operation is 405 MethodNotAllowed; PUT with uploadId but no partNumber is never PutObject', async () => {
  const model = loadServiceModel('s3');
  const op = (name: string, requestUri: string, method: string) => ({
    ...model.operations.find((o) => o.name === name)!,
    http: { method, requestUri },
  });
  const post = await send(model, op('PutObject', `/${PLACEHOLDER}/posted`, 'POST'), { query: [], headers: [] });
  assert.deepEqual([post.status, post.error?.code], [405, 'MethodNotAllowed'], post.body);
  const part = await send(model, op('PutObject', `/${PLACEHOLDER}/part?uploadId=nope`, 'PUT'), {
    query: [],
    headers: [],
  });
  assert.deepEqual([part.status, part.error?.code], [400, 'InvalidArgument'], part.body);
  const list = await sdkClient(edge).send(new ListObjectVersionsCommand({ Bucket: PLACEHOLDER, Prefix: 'p' }));
  assert.equal(list.Versions, undefined, 'nothing was created');
});
