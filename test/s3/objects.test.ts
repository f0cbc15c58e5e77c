import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  CopyObjectCommand,
  DeleteObjectsCommand,
  DeleteBucketCommand,
  HeadBucketCommand,
  GetBucketLocationCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { errorCode, sdkClient } from './helpers.ts';

let edge: TestEdge;
before(async () => {
  edge = await startTestEdge();
});
after(async () => edge.close());

test('SDK v3: create bucket, put (Buffer and stream bodies), head, get, list buckets, delete', async () => {
  const s3 = sdkClient(edge);
  await s3.send(new CreateBucketCommand({ Bucket: 'objects-basic' }));
  const listed = await s3.send(new ListBucketsCommand({}));
  assert.ok(listed.Buckets?.some((b) => b.Name === 'objects-basic'));
  await s3.send(new HeadBucketCommand({ Bucket: 'objects-basic' }));
  const location = await s3.send(new GetBucketLocationCommand({ Bucket: 'objects-basic' }));
  assert.equal(location.LocationConstraint ?? '', '');

  const put = await s3.send(
    new PutObjectCommand({
      Bucket: 'objects-basic',
      Key: 'a/b.txt',
      Body: Buffer.from('hello world'),
      ContentType: 'text/plain',
      Metadata: { owner: 'me' },
      CacheControl: 'max-age=5',
    }),
  );
  assert.equal(put.ETag, '"5eb63bbbe01eeed093cb22bb8f5acdc3"');
  assert.ok(put.ChecksumCRC32, 'the SDK sent a CRC32 and the store echoed it');

  const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects-basic', Key: 'a/b.txt' }));
  assert.equal(head.ContentLength, 11);
  assert.equal(head.ContentType, 'text/plain');
  assert.equal(head.CacheControl, 'max-age=5');
  assert.deepEqual(head.Metadata, { owner: 'me' });

  const got = await s3.send(new GetObjectCommand({ Bucket: 'objects-basic', Key: 'a/b.txt', ChecksumMode: 'ENABLED' }));
  assert.equal(await got.Body!.transformToString(), 'hello world');
  assert.equal(got.ChecksumCRC32, put.ChecksumCRC32);

  const payload = Buffer.alloc(300_000, 7);
  const streamed = await s3.send(
    new PutObjectCommand({
      Bucket: 'objects-basic',
      Key: 'streamed',
      Body: Readable.from([payload.subarray(0, 100_000), payload.subarray(100_000)]),
      ContentLength: payload.length,
    }),
  );
  assert.ok(streamed.ETag);
  const back = await s3.send(new GetObjectCommand({ Bucket: 'objects-basic', Key: 'streamed' }));
  const bytes = Buffer.from(await back.Body!.transformToByteArray());
  assert.ok(bytes.equals(payload), 'aws-chunked framing decoded, never stored');
  assert.equal(back.ContentEncoding, undefined);

  const ranged = await s3.send(new GetObjectCommand({ Bucket: 'objects-basic', Key: 'a/b.txt', Range: 'bytes=6-' }));
  assert.equal(await ranged.Body!.transformToString(), 'world');
  assert.equal(ranged.ContentRange, 'bytes 6-10/11');

  const copied = await s3.send(
    new CopyObjectCommand({ Bucket: 'objects-basic', Key: 'copy', CopySource: 'objects-basic/a/b.txt' }),
  );
  assert.equal(copied.CopyObjectResult?.ETag, put.ETag);

  await s3.send(new DeleteObjectCommand({ Bucket: 'objects-basic', Key: 'a/b.txt' }));
  await assert.rejects(
    s3.send(new GetObjectCommand({ Bucket: 'objects-basic', Key: 'a/b.txt' })),
    (e: Error) => e.name === 'NoSuchKey',
  );
  await assert.rejects(
    s3.send(new DeleteBucketCommand({ Bucket: 'objects-basic' })),
    (e: Error) => e.name === 'BucketNotEmpty',
  );
  const deleted = await s3.send(
    new DeleteObjectsCommand({ Bucket: 'objects-basic', Delete: { Objects: [{ Key: 'streamed' }, { Key: 'copy' }] } }),
  );
  assert.equal(deleted.Deleted?.length, 2);
  await s3.send(new DeleteBucketCommand({ Bucket: 'objects-basic' }));
  await assert.rejects(
    s3.send(new HeadBucketCommand({ Bucket: 'objects-basic' })),
    (e: Error) => e.name === 'NotFound',
  );
});

test('presigned PUT and GET URLs from the SDK presigner work with a plain HTTP client', async () => {
  const s3 = sdkClient(edge);
  await s3.send(new CreateBucketCommand({ Bucket: 'presigned' }));
  const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'presigned', Key: 'dir/image 1.tif' }), {
    expiresIn: 300,
  });
  assert.match(
    putUrl,
    /x-amz-checksum-crc32=AAAAAA%3D%3D/,
    'the SDK hoists the empty-body checksum, which the store ignores as AWS does',
  );
  const body = Buffer.from('pixels');
  const put = await fetch(putUrl, { method: 'PUT', body });
  assert.equal(put.status, 200, await put.text());
  const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'presigned', Key: 'dir/image 1.tif' }), {
    expiresIn: 300,
  });
  const got = await fetch(getUrl);
  assert.equal(got.status, 200);
  assert.equal(await got.text(), 'pixels');
  const wrongMethod = await fetch(getUrl, { method: 'PUT', body: 'evil' });
  assert.equal(wrongMethod.status, 403);
  assert.equal(errorCode(await wrongMethod.text()), 'SignatureDoesNotMatch');
  assert.equal(await (await fetch(getUrl)).text(), 'pixels', 'nothing changed');
  const anonymous = await fetch(`${edge.url}/presigned/dir/image%201.tif`);
  assert.equal(anonymous.status, 403);
  assert.equal(errorCode(await anonymous.text()), 'AccessDenied');
  assert.ok(anonymous.headers.get('x-amz-request-id'));
});
