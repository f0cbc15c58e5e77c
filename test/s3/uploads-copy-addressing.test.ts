import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { promisify } from 'node:util';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListMultipartUploadsCommandInput,
  type ListMultipartUploadsCommandOutput,
  S3Client,
  PutObjectCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { awsEnv, startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { sdkClient } from './helpers.ts';

const run = promisify(execFile);

/** Every page of ListMultipartUploads, following NextKeyMarker/NextUploadIdMarker (the SDK has no paginator for it). */
async function allPages(
  s3: S3Client,
  input: ListMultipartUploadsCommandInput,
): Promise<ListMultipartUploadsCommandOutput[]> {
  const pages: ListMultipartUploadsCommandOutput[] = [];
  let markers = {};
  for (;;) {
    const page = await s3.send(new ListMultipartUploadsCommand({ ...input, ...markers }));
    pages.push(page);
    if (!page.IsTruncated) return pages;
    markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
  }
}
let edge: TestEdge;
before(async () => {
  edge = await startTestEdge();
});
after(async () => edge.close());

test('ListMultipartUploads pages with key/upload-id markers, groups by delimiter, and the aws CLI paginates it', async () => {
  const s3 = sdkClient(edge);
  await s3.send(new CreateBucketCommand({ Bucket: 'pending' }));
  const keys = ['a/1', 'a/1', 'a/2', 'b', 'c/x/1', 'c/y', 'd'];
  const started: Array<{ key: string; uploadId: string }> = [];
  for (const Key of keys) {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'pending', Key }));
    started.push({ key: Key, uploadId: UploadId! });
  }
  const expected = started.map((u) => `${u.key} ${u.uploadId}`);
  // Two uploads of a/1 are listed in initiation order.
  const seen: string[] = [];
  const pages = await allPages(s3, { Bucket: 'pending', MaxUploads: 2 });
  for (const page of pages) {
    assert.ok((page.Uploads?.length ?? 0) <= 2);
    for (const u of page.Uploads ?? []) seen.push(`${u.Key} ${u.UploadId}`);
  }
  assert.deepEqual(seen, expected);
  assert.equal(pages.length, 4);

  const first = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'pending', MaxUploads: 1 }));
  assert.equal(first.IsTruncated, true);
  assert.equal(first.NextKeyMarker, 'a/1');
  assert.equal(first.NextUploadIdMarker, started[0].uploadId);
  const afterKey = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'pending', KeyMarker: 'a/1' }));
  assert.deepEqual(
    afterKey.Uploads?.map((u) => u.Key),
    ['a/2', 'b', 'c/x/1', 'c/y', 'd'],
    'a key marker alone skips every upload of that key',
  );

  const grouped: Array<{ uploads: string[]; prefixes: string[] }> = [];
  for (const page of await allPages(s3, { Bucket: 'pending', Delimiter: '/', MaxUploads: 2 })) {
    grouped.push({
      uploads: (page.Uploads ?? []).map((u) => u.Key!),
      prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix!),
    });
  }
  assert.deepEqual(
    grouped.flatMap((p) => p.prefixes),
    ['a/', 'c/'],
  );
  assert.deepEqual(
    grouped.flatMap((p) => p.uploads),
    ['b', 'd'],
  );
  const underC = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'pending', Prefix: 'c/', Delimiter: '/' }));
  assert.deepEqual(
    underC.CommonPrefixes?.map((p) => p.Prefix),
    ['c/x/'],
  );
  assert.deepEqual(
    underC.Uploads?.map((u) => u.Key),
    ['c/y'],
  );

  const bad = await s3
    .send(new ListMultipartUploadsCommand({ Bucket: 'pending', MaxUploads: -1 }))
    .catch((e: Error) => e);
  assert.equal((bad as Error).name, 'InvalidArgument');

  const env = awsEnv(edge.url, edge.region, edge.credentials);
  const { stdout } = await run(
    'aws',
    ['s3api', 'list-multipart-uploads', '--bucket', 'pending', '--page-size', '1', '--output', 'json'],
    { env },
  );
  const listed = JSON.parse(stdout) as { Uploads: Array<{ Key: string; UploadId: string }> };
  assert.deepEqual(
    listed.Uploads.map((u) => `${u.Key} ${u.UploadId}`),
    expected,
  );
});

test('UploadPartCopy assembles an object from byte ranges of another', async () => {
  const s3 = sdkClient(edge);
  await s3.send(new CreateBucketCommand({ Bucket: 'copies' }));
  const source = randomBytes(12 * 1024 * 1024);
  await s3.send(new PutObjectCommand({ Bucket: 'copies', Key: 'source.bin', Body: source }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'copies', Key: 'joined.bin' }));
  const ranges = [
    [6 * 1024 * 1024, source.length - 1],
    [0, 6 * 1024 * 1024 - 1],
  ] as const;
  const parts = [];
  for (const [i, [start, end]] of ranges.entries()) {
    const copied = await s3.send(
      new UploadPartCopyCommand({
        Bucket: 'copies',
        Key: 'joined.bin',
        UploadId,
        PartNumber: i + 1,
        CopySource: 'copies/source.bin',
        CopySourceRange: `bytes=${start}-${end}`,
      }),
    );
    assert.equal(
      copied.CopyPartResult?.ETag,
      `"${createHash('md5')
        .update(source.subarray(start, end + 1))
        .digest('hex')}"`,
    );
    parts.push({ PartNumber: i + 1, ETag: copied.CopyPartResult.ETag });
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: 'copies',
      Key: 'joined.bin',
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
  const got = await s3.send(new GetObjectCommand({ Bucket: 'copies', Key: 'joined.bin' }));
  const body = Buffer.from(await got.Body!.transformToByteArray());
  assert.ok(body.equals(Buffer.concat([source.subarray(6 * 1024 * 1024), source.subarray(0, 6 * 1024 * 1024)])));

  const other = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'copies', Key: 'other.bin' }));
  const missing = await s3
    .send(
      new UploadPartCopyCommand({
        Bucket: 'copies',
        Key: 'other.bin',
        UploadId: other.UploadId,
        PartNumber: 1,
        CopySource: 'copies/nothing-here',
      }),
    )
    .catch((e: Error) => e);
  assert.equal((missing as Error).name, 'NoSuchKey');
});

test('virtual-hosted addressing: {bucket}.s3.localhost selects the bucket, signed by the SDK', async () => {
  // *.localhost names resolve to loopback by RFC 6761; the agent makes that explicit whatever the resolver does.
  const loopback = new http.Agent({
    lookup: (_host, options, done) => {
      const answer = done as (
        e: null,
        address: string | Array<{ address: string; family: number }>,
        family?: number,
      ) => void;
      if (options.all) answer(null, [{ address: '127.0.0.1', family: 4 }]);
      else answer(null, '127.0.0.1', 4);
    },
  });
  const port = new URL(edge.url).port;
  const s3 = sdkClient(edge, {
    endpoint: `http://s3.localhost:${port}`,
    forcePathStyle: false,
    requestHandler: { httpAgent: loopback },
  });
  await sdkClient(edge).send(new CreateBucketCommand({ Bucket: 'vhost' }));
  await s3.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'dir/photo.tif', Body: 'by host' }));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'dir/photo.tif' }));
  assert.equal(await got.Body!.transformToString(), 'by host');
  const listed = await sdkClient(edge).send(new ListObjectsV2Command({ Bucket: 'vhost' }));
  assert.deepEqual(
    listed.Contents?.map((c) => c.Key),
    ['dir/photo.tif'],
    'the object landed in the bucket named by the host',
  );
  loopback.destroy();
});
