// Object tags travel with multipart uploads and copies as on S3 (x-amz-tagging, x-amz-tagging-directive).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { sdkClient } from './helpers.ts';

let edge: TestEdge;
const Bucket = 'tags';

before(async () => {
  edge = await startTestEdge();
  await sdkClient(edge).send(new CreateBucketCommand({ Bucket }));
});
after(async () => edge.close());

test('CreateMultipartUpload with x-amz-tagging: the completed object has the tags', async () => {
  const s3 = sdkClient(edge);
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket, Key: 'mpu', Tagging: 'stage=raw&owner=ml' }),
  );
  const part = await s3.send(new UploadPartCommand({ Bucket, Key: 'mpu', UploadId, PartNumber: 1, Body: 'data' }));
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket,
      Key: 'mpu',
      UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
    }),
  );
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'mpu' }));
  assert.deepEqual(tags.TagSet, [
    { Key: 'stage', Value: 'raw' },
    { Key: 'owner', Value: 'ml' },
  ]);
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'mpu' }));
  assert.equal(head.Metadata?.['x-amz-tagging'], undefined);
});

test('CopyObject keeps the source tags (COPY) or takes the request tags (REPLACE); a bad directive or tag set is refused', async () => {
  const s3 = sdkClient(edge);
  await s3.send(new PutObjectCommand({ Bucket, Key: 'src', Body: 'x', Tagging: 'a=1' }));
  await s3.send(new CopyObjectCommand({ Bucket, Key: 'copied', CopySource: `${Bucket}/src` }));
  assert.deepEqual((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'copied' }))).TagSet, [
    { Key: 'a', Value: '1' },
  ]);
  await s3.send(
    new CopyObjectCommand({
      Bucket,
      Key: 'replaced',
      CopySource: `${Bucket}/src`,
      TaggingDirective: 'REPLACE',
      Tagging: 'b=2',
    }),
  );
  assert.deepEqual((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'replaced' }))).TagSet, [
    { Key: 'b', Value: '2' },
  ]);
  await assert.rejects(
    s3.send(
      new CopyObjectCommand({ Bucket, Key: 'bad', CopySource: `${Bucket}/src`, TaggingDirective: 'MOVE' as 'COPY' }),
    ),
    { name: 'InvalidArgument' },
  );
  const eleven = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
  await assert.rejects(s3.send(new PutObjectCommand({ Bucket, Key: 'too-many', Body: 'x', Tagging: eleven })), {
    name: 'BadRequest',
  });
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket, Key: 'too-many' })), { name: 'NotFound' });
});
