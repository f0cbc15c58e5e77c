// Versioning as S3 has it: version ids on PUT, COPY and multipart completion; reads and deletes by version;
// delete markers; ListObjectVersions with paging; the Suspended state's "null" version; state that survives a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
  type ListObjectVersionsCommandOutput,
} from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { migrate } from '../../src/state/database.ts';
import { S3_MIGRATIONS } from '../../src/state/s3-metadata.ts';
import { sdkClient } from './helpers.ts';

let edge: TestEdge;
let s3: S3Client;

before(async () => {
  edge = await startTestEdge();
  s3 = sdkClient(edge);
});
after(async () => edge.close());

const body = async (Bucket: string, Key: string, VersionId?: string) =>
  (await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }))).Body!.transformToString();

/** The error of a failed call: status, code and the raw headers. */
async function failure(
  promise: Promise<unknown>,
): Promise<{ status: number; code: string; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (err) {
    const e = err as {
      name: string;
      $metadata: { httpStatusCode: number };
      $response?: { headers: Record<string, string> };
    };
    return { status: e.$metadata.httpStatusCode, code: e.name, headers: e.$response?.headers ?? {} };
  }
  assert.fail('the call should have failed');
}

async function enableVersioning(Bucket: string, Status: 'Enabled' | 'Suspended' = 'Enabled'): Promise<void> {
  await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status } }));
}

test('a bucket without versioning answers no status and no version ids', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'plain' }));
  assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'plain' }))).Status, undefined);
  const put = await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'k', Body: 'one' }));
  assert.equal(put.VersionId, undefined);
  assert.equal(put.ServerSideEncryption, 'AES256');
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'k' }));
  assert.equal(head.VersionId, undefined);
  assert.equal(head.ServerSideEncryption, 'AES256');
  await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'k', Body: 'two' }));
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'plain' }));
  assert.deepEqual(
    versions.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest]),
    [['k', 'null', true]],
  );
  const del = await s3.send(new DeleteObjectCommand({ Bucket: 'plain', Key: 'k' }));
  assert.equal(del.DeleteMarker, undefined);
  assert.equal((await s3.send(new ListObjectVersionsCommand({ Bucket: 'plain' }))).Versions, undefined);
});

test('Enabled: PUT, COPY and CompleteMultipartUpload make versions; GET/HEAD by versionId; an invalid id is a 400', async () => {
  const Bucket = 'versioned';
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'before versioning' }));
  await enableVersioning(Bucket);
  assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status, 'Enabled');
  const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'one' }))).VersionId!;
  const v2 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'two' }))).VersionId!;
  assert.match(v1, /^[A-Za-z0-9_-]{32}$/);
  assert.notEqual(v1, v2);
  assert.equal(await body(Bucket, 'k'), 'two');
  assert.equal(await body(Bucket, 'k', v1), 'one');
  assert.equal(await body(Bucket, 'k', 'null'), 'before versioning');
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'k', VersionId: v1 }));
  assert.equal(head.VersionId, v1);
  assert.equal(head.ContentLength, 3);
  assert.equal((await s3.send(new GetObjectCommand({ Bucket, Key: 'k' }))).VersionId, v2);

  const copy = await s3.send(
    new CopyObjectCommand({ Bucket, Key: 'copied', CopySource: `${Bucket}/k?versionId=${v1}` }),
  );
  assert.equal(copy.CopySourceVersionId, v1);
  assert.match(copy.VersionId!, /^[A-Za-z0-9_-]{32}$/);
  assert.equal(await body(Bucket, 'copied'), 'one');
  const restored = await s3.send(
    new CopyObjectCommand({ Bucket, Key: 'k', CopySource: `${Bucket}/k?versionId=${v1}` }),
  );
  assert.equal(await body(Bucket, 'k'), 'one', 'copying an old version onto its key restores it');
  assert.equal(await body(Bucket, 'k', restored.VersionId), 'one');

  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mpu' }));
  const part = await s3.send(new UploadPartCommand({ Bucket, Key: 'mpu', UploadId, PartNumber: 1, Body: 'parts' }));
  const done = await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket,
      Key: 'mpu',
      UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
    }),
  );
  assert.match(done.VersionId!, /^[A-Za-z0-9_-]{32}$/);
  assert.equal((await s3.send(new HeadObjectCommand({ Bucket, Key: 'mpu' }))).VersionId, done.VersionId);

  const invalid = await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'k', VersionId: 'not-a-version' })));
  assert.deepEqual([invalid.status, invalid.code], [400, 'InvalidArgument']);
  const missing = await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'k', VersionId: 'A'.repeat(32) })));
  assert.deepEqual([missing.status, missing.code], [404, 'NoSuchVersion']);
});

test('delete markers: DELETE adds one, GET answers 404 with x-amz-delete-marker, deleting the marker brings the object back', async () => {
  const Bucket = 'markers';
  await s3.send(new CreateBucketCommand({ Bucket }));
  await enableVersioning(Bucket);
  const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'one' }))).VersionId!;
  const v2 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'two' }))).VersionId!;
  const del = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
  assert.equal(del.DeleteMarker, true);
  const marker = del.VersionId!;
  assert.match(marker, /^[A-Za-z0-9_-]{32}$/);

  const gone = await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'k' })));
  assert.deepEqual([gone.status, gone.code], [404, 'NoSuchKey']);
  assert.equal(gone.headers['x-amz-delete-marker'], 'true');
  assert.equal(gone.headers['x-amz-version-id'], marker);
  const named = await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'k', VersionId: marker })));
  assert.equal(named.status, 405);
  assert.equal(named.headers['x-amz-delete-marker'], 'true');
  assert.equal(
    (await s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount,
    0,
    'listings hide a key whose newest entry is a marker',
  );
  assert.equal(await body(Bucket, 'k', v1), 'one', 'older versions stay readable');

  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket }));
  assert.deepEqual(
    versions.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest]),
    [['k', marker, true]],
  );
  assert.deepEqual(
    versions.Versions?.map((v) => [v.VersionId, v.IsLatest]),
    [
      [v2, false],
      [v1, false],
    ],
  );

  const undo = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: marker }));
  assert.deepEqual([undo.DeleteMarker, undo.VersionId], [true, marker]);
  assert.equal(await body(Bucket, 'k'), 'two');
  const removed = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: v2 }));
  assert.deepEqual([removed.DeleteMarker, removed.VersionId], [undefined, v2]);
  assert.equal(await body(Bucket, 'k'), 'one', 'removing the newest version makes the previous one current');

  const batch = await s3.send(
    new DeleteObjectsCommand({
      Bucket,
      Delete: { Objects: [{ Key: 'k', VersionId: v1 }, { Key: 'other' }, { Key: 'k', VersionId: 'bad' }] },
    }),
  );
  assert.deepEqual(
    batch.Deleted?.map((d) => [d.Key, d.VersionId, d.DeleteMarker]),
    [
      ['k', v1, undefined],
      ['other', undefined, true],
    ],
  );
  assert.deepEqual(
    batch.Errors?.map((e) => [e.Key, e.Code]),
    [['k', 'NoSuchVersion']],
  );
  const bucketDelete = await failure(s3.send(new DeleteBucketCommand({ Bucket })));
  assert.deepEqual(
    [bucketDelete.status, bucketDelete.code],
    [409, 'BucketNotEmpty'],
    'delete markers keep a bucket from being deleted',
  );
});

test('ListObjectVersions pages with key-marker and version-id-marker through every version, newest first per key', async () => {
  const Bucket = 'paging';
  await s3.send(new CreateBucketCommand({ Bucket }));
  await enableVersioning(Bucket);
  for (const Key of ['a', 'b/1', 'b/2', 'c']) {
    for (let i = 0; i < 3; i++) await s3.send(new PutObjectCommand({ Bucket, Key, Body: `${Key}${i}` }));
  }
  await s3.send(new DeleteObjectCommand({ Bucket, Key: 'c' }));
  const entries = (page: ListObjectVersionsCommandOutput) => [
    ...(page.Versions ?? []).map((v) => [v.Key, v.VersionId, v.IsLatest, v.LastModified?.getTime()]),
    ...(page.DeleteMarkers ?? []).map((m) => [m.Key, m.VersionId, m.IsLatest, m.LastModified?.getTime()]),
  ];
  const all = await s3.send(new ListObjectVersionsCommand({ Bucket }));
  assert.equal(entries(all).length, 13);
  assert.deepEqual(
    all.Versions?.filter((v) => v.IsLatest).map((v) => v.Key),
    ['a', 'b/1', 'b/2'],
  );

  const paged: unknown[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 20);
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket, MaxKeys: 2, KeyMarker, VersionIdMarker }));
    paged.push(...entries(page));
    if (!page.IsTruncated) break;
    KeyMarker = page.NextKeyMarker;
    VersionIdMarker = page.NextVersionIdMarker;
  }
  const order = (list: unknown[]) => list.map((e) => (e as unknown[]).slice(0, 3).join(' ')).sort();
  assert.deepEqual(order(paged), order(entries(all)));

  const grouped = await s3.send(new ListObjectVersionsCommand({ Bucket, Delimiter: '/' }));
  assert.deepEqual(
    grouped.CommonPrefixes?.map((p) => p.Prefix),
    ['b/'],
  );
  assert.deepEqual([...new Set(grouped.Versions?.map((v) => v.Key))], ['a', 'c']);
});

test('Suspended: writes replace the "null" version and keep the older ids', async () => {
  const Bucket = 'suspended';
  await s3.send(new CreateBucketCommand({ Bucket }));
  await enableVersioning(Bucket);
  const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'kept' }))).VersionId!;
  await enableVersioning(Bucket, 'Suspended');
  assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status, 'Suspended');
  await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'null one' }));
  await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'null two' }));
  assert.equal((await s3.send(new HeadObjectCommand({ Bucket, Key: 'k' }))).VersionId, 'null');
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket }));
  assert.deepEqual(
    versions.Versions?.map((v) => [v.VersionId, v.IsLatest]),
    [
      ['null', true],
      [v1, false],
    ],
  );
  assert.equal(await body(Bucket, 'k', 'null'), 'null two');
  const del = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
  assert.deepEqual([del.DeleteMarker, del.VersionId], [true, 'null']);
  const after = await s3.send(new ListObjectVersionsCommand({ Bucket }));
  assert.deepEqual(
    after.Versions?.map((v) => v.VersionId),
    [v1],
    'the null marker replaced the null version',
  );
  assert.deepEqual(
    after.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest]),
    [['null', true]],
  );
});

test('versions survive a restart: the start-up sweep keeps the blobs of older versions', async () => {
  const first = await startTestEdge();
  const client = sdkClient(first);
  const Bucket = 'durable-versions';
  await client.send(new CreateBucketCommand({ Bucket }));
  await client.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const old = randomBytes(1000);
  const v1 = (await client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: old }))).VersionId!;
  await client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'new' }));
  await client.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
  await first.close(false);
  await new Promise((r) => setTimeout(r, 20));
  const second = await startTestEdge({
    DDN_DATA_DIR: first.dataDir,
    DDN_LOCAL_ACCESS_KEY_ID: first.credentials.accessKeyId,
    DDN_LOCAL_SECRET_ACCESS_KEY: first.credentials.secretAccessKey,
  });
  try {
    const again = sdkClient(second);
    const got = await again.send(new GetObjectCommand({ Bucket, Key: 'k', VersionId: v1 }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(old));
    const versions = await again.send(new ListObjectVersionsCommand({ Bucket }));
    assert.equal(versions.Versions?.length, 2);
    assert.equal(versions.DeleteMarkers?.length, 1);
  } finally {
    await second.close();
  }
});

test('a data dir written before versioning existed keeps working: its objects are the "null" versions', async () => {
  const first = await startTestEdge();
  await first.close(false);
  const db = new Database(path.join(first.dataDir, 'state.sqlite'));
  // Roll the S3 tables back to the first release's schema, with one object whose blob is on disk.
  db.exec(
    'DROP TABLE s3_bucket_settings; DROP TABLE s3_versions; DROP TABLE s3_parts; DROP TABLE s3_uploads; DROP TABLE s3_objects; DROP TABLE s3_buckets',
  );
  db.prepare("DELETE FROM schema_migrations WHERE component = 's3'").run();
  migrate(db, 's3', S3_MIGRATIONS.slice(0, 1));
  const blobId = 'ab'.repeat(16);
  mkdirSync(path.join(first.dataDir, 'blobs', 'ab'), { recursive: true });
  writeFileSync(path.join(first.dataDir, 'blobs', 'ab', blobId), 'old data');
  db.prepare(
    "INSERT INTO s3_buckets (name, region, created_at) VALUES ('legacy', 'us-east-1', '2026-01-01T00:00:00.000Z')",
  ).run();
  db.prepare(
    `INSERT INTO s3_objects (bucket, key, blob_id, size, etag, last_modified, headers, metadata)
     VALUES ('legacy', 'k', ?, 8, '"e"', '2026-01-01T00:00:00.000Z', '{}', '{}')`,
  ).run(blobId);
  db.close();
  const second = await startTestEdge({
    DDN_DATA_DIR: first.dataDir,
    DDN_LOCAL_ACCESS_KEY_ID: first.credentials.accessKeyId,
    DDN_LOCAL_SECRET_ACCESS_KEY: first.credentials.secretAccessKey,
  });
  try {
    const client = sdkClient(second);
    assert.equal(
      await (await client.send(new GetObjectCommand({ Bucket: 'legacy', Key: 'k' }))).Body!.transformToString(),
      'old data',
    );
    await client.send(
      new PutBucketVersioningCommand({ Bucket: 'legacy', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await client.send(new PutObjectCommand({ Bucket: 'legacy', Key: 'k', Body: 'new data' }));
    const old = await client.send(new GetObjectCommand({ Bucket: 'legacy', Key: 'k', VersionId: 'null' }));
    assert.equal(await old.Body!.transformToString(), 'old data');
  } finally {
    await second.close();
  }
});

test('a malformed PutBucketVersioning body is MalformedXML and changes nothing', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'malformed' }));
  const bad = await failure(
    s3.send(
      new PutBucketVersioningCommand({ Bucket: 'malformed', VersioningConfiguration: { Status: 'On' as 'Enabled' } }),
    ),
  );
  assert.deepEqual([bad.status, bad.code], [400, 'MalformedXML']);
  assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'malformed' }))).Status, undefined);
});
