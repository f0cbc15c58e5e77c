import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { zipSync, strToU8 } from 'fflate';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { sdkClient } from '../s3/helpers.ts';
import { ensureLambdaRole } from '../helpers/iam.ts';

/** Every file under DATA_DIR/blobs, by name. */
function blobFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'blobs');
  return readdirSync(root)
    .flatMap((shard) => readdirSync(path.join(root, shard)))
    .sort();
}

/** A blob renamed into place whose metadata row never committed, as a crash in between leaves it. */
function plantOrphan(dataDir: string): string {
  const id = randomUUID().replace(/-/g, '');
  const dir = path.join(dataDir, 'blobs', id.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, id), randomBytes(1000));
  const past = new Date(Date.now() - 60_000);
  utimesSync(path.join(dir, id), past, past);
  return id;
}

test('at start-up the edge sweeps blobs no service references, and keeps every S3 and Lambda blob', async () => {
  let edge: TestEdge = await startTestEdge();
  const dataDir = edge.dataDir;
  const vars = {
    DDN_DATA_DIR: dataDir,
    DDN_LOCAL_ACCESS_KEY_ID: edge.credentials.accessKeyId,
    DDN_LOCAL_SECRET_ACCESS_KEY: edge.credentials.secretAccessKey,
  };
  try {
    let s3 = sdkClient(edge);
    await s3.send(new CreateBucketCommand({ Bucket: 'sweep' }));
    await s3.send(new PutObjectCommand({ Bucket: 'sweep', Key: 'plain', Body: 'plain body' }));
    const done = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'sweep', Key: 'multi' }));
    const p1 = await s3.send(
      new UploadPartCommand({
        Bucket: 'sweep',
        Key: 'multi',
        UploadId: done.UploadId,
        PartNumber: 1,
        Body: 'multi body',
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'sweep',
        Key: 'multi',
        UploadId: done.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] },
      }),
    );
    const open = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'sweep', Key: 'open' }));
    await s3.send(
      new UploadPartCommand({
        Bucket: 'sweep',
        Key: 'open',
        UploadId: open.UploadId,
        PartNumber: 1,
        Body: 'part of an open upload',
      }),
    );
    let lambda = new LambdaClient({ region: edge.region, endpoint: edge.url, credentials: edge.credentials });
    await ensureLambdaRole(edge, 'r');
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'kept',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: 'arn:aws:iam::000000000000:role/r',
        Code: { ZipFile: zipSync({ 'index.js': strToU8('exports.handler = async () => "still here";') }) },
      }),
    );
    const referenced = blobFiles(dataDir);
    assert.equal(referenced.length, 4, 'plain object, multipart object, open part, function code');
    await edge.close(false);

    const orphans = [plantOrphan(dataDir), plantOrphan(dataDir)];
    assert.deepEqual(blobFiles(dataDir), [...referenced, ...orphans].sort());

    edge = await startTestEdge(vars);
    assert.deepEqual(blobFiles(dataDir), referenced, 'orphans removed, nothing else');
    for (const id of orphans) assert.equal(existsSync(path.join(dataDir, 'blobs', id.slice(0, 2), id)), false);

    s3 = sdkClient(edge);
    assert.equal(
      await (await s3.send(new GetObjectCommand({ Bucket: 'sweep', Key: 'plain' }))).Body!.transformToString(),
      'plain body',
    );
    assert.equal(
      await (await s3.send(new GetObjectCommand({ Bucket: 'sweep', Key: 'multi' }))).Body!.transformToString(),
      'multi body',
    );
    const parts = await s3.send(new ListPartsCommand({ Bucket: 'sweep', Key: 'open', UploadId: open.UploadId }));
    assert.equal(parts.Parts?.length, 1);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'sweep',
        Key: 'open',
        UploadId: open.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: parts.Parts[0].ETag }] },
      }),
    );
    assert.equal(
      await (await s3.send(new GetObjectCommand({ Bucket: 'sweep', Key: 'open' }))).Body!.transformToString(),
      'part of an open upload',
    );

    lambda = new LambdaClient({ region: edge.region, endpoint: edge.url, credentials: edge.credentials });
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'kept' }));
    assert.ok(fn.Code?.Location);
    const zip = await fetch(fn.Code.Location);
    assert.equal(zip.status, 200);
    const invoked = await lambda.send(new InvokeCommand({ FunctionName: 'kept' }));
    assert.equal(Buffer.from(invoked.Payload!).toString(), '"still here"');
  } finally {
    await edge.close();
  }
});
