import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  UploadPartCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startTestEdge } from '../helpers/edge.ts';
import { sdkClient } from './helpers.ts';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const Bucket = 'durable';

interface EdgeProcess {
  url: string;
  child: ChildProcess;
  s3: S3Client;
}

/** Starts the edge process (`src/edge/main.ts`) on `dataDir` and waits for its URL. */
async function spawnEdge(
  dataDir: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<EdgeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('src', 'edge', 'main.ts')], {
    env: {
      ...process.env,
      DDN_EDGE_HOST: '127.0.0.1',
      DDN_EDGE_PORT: '0',
      DDN_DATA_DIR: dataDir,
      DDN_LOCAL_ACCESS_KEY_ID: credentials.accessKeyId,
      DDN_LOCAL_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      DDN_LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`edge process exited with ${code} before it listened`))),
  );
  const firstLine = new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const { url } = JSON.parse(await Promise.race([firstLine, exited])) as { url: string };
  exited.catch(() => {});
  return { url, child, s3: new S3Client({ region: 'us-east-1', endpoint: url, forcePathStyle: true, credentials }) };
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Starts a presigned PUT of `total` bytes, writing until the server holds `atLeast` bytes in its tmp dir; `outcome` settles when the connection ends. */
async function putUntilPartlyReceived(
  url: string,
  total: number,
  tmpDir: string,
  atLeast: number,
): Promise<{ outcome: Promise<unknown> }> {
  const { hostname, port, pathname, search, host } = new URL(url);
  const socket = connect(Number(port), hostname);
  const settled = new Promise((resolve) => {
    socket.on('error', resolve);
    socket.on('close', () => resolve(new Error('connection closed')));
    socket.once('data', (d: Buffer) =>
      resolve(new Error(`the PUT finished before the kill: ${d.toString().split('\r\n')[0]}`)),
    );
  });
  socket.write(`PUT ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${total}\r\n\r\n`);
  const block = randomBytes(1 << 20);
  let sent = 0;
  const received = () => readdirSync(tmpDir).reduce((n, f) => n + statSync(path.join(tmpDir, f)).size, 0);
  while (received() < atLeast) {
    assert.ok(sent + block.length < total, 'the server should be writing the body to its tmp dir');
    await new Promise((r) => socket.write(block, r));
    sent += block.length;
  }
  return { outcome: settled };
}

test('kill -9 in the middle of a PUT: the old object survives whole, tmp is emptied, a restart keeps everything', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ddn-durability-'));
  const credentials = { accessKeyId: 'AKIADURABILITY000001', secretAccessKey: randomBytes(30).toString('base64') };
  let edge = await spawnEdge(dataDir, credentials);
  try {
    const old = randomBytes(3 << 20);
    await edge.s3.send(new CreateBucketCommand({ Bucket }));
    await edge.s3.send(
      new PutBucketCorsCommand({
        Bucket,
        CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://example.com'] }] },
      }),
    );
    await edge.s3.send(
      new PutObjectCommand({ Bucket, Key: 'image.tif', Body: old, ContentType: 'image/tiff', Metadata: { shot: '1' } }),
    );
    await edge.s3.send(new PutObjectCommand({ Bucket, Key: 'notes/a.txt', Body: 'kept' }));
    const mpu = await edge.s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'big' }));
    const part = await edge.s3.send(
      new UploadPartCommand({ Bucket, Key: 'big', UploadId: mpu.UploadId, PartNumber: 1, Body: randomBytes(1000) }),
    );
    await edge.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'big',
        UploadId: mpu.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    const pending = await edge.s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'pending' }));
    await edge.s3.send(
      new UploadPartCommand({ Bucket, Key: 'pending', UploadId: pending.UploadId, PartNumber: 1, Body: 'part one' }),
    );
    const listedBefore = await edge.s3.send(new ListObjectsV2Command({ Bucket }));

    const tmpDir = path.join(dataDir, 'tmp');
    const overwrite = await getSignedUrl(edge.s3, new PutObjectCommand({ Bucket, Key: 'image.tif' }), {
      expiresIn: 600,
    });
    const fresh = await getSignedUrl(edge.s3, new PutObjectCommand({ Bucket, Key: 'fresh' }), { expiresIn: 600 });
    const puts = [
      await putUntilPartlyReceived(overwrite, 256 << 20, tmpDir, 4 << 20),
      await putUntilPartlyReceived(fresh, 256 << 20, tmpDir, 12 << 20),
    ];
    await killHard(edge.child);
    for (const outcome of await Promise.all(puts.map((p) => p.outcome)))
      assert.ok(outcome instanceof Error && !/finished/.test(outcome.message), String(outcome));
    assert.ok(readdirSync(tmpDir).length > 0, 'the killed process left its partial bodies behind');

    edge = await spawnEdge(dataDir, credentials);
    assert.deepEqual(readdirSync(tmpDir), [], 'leftovers are cleaned at start-up');
    const got = await edge.s3.send(new GetObjectCommand({ Bucket, Key: 'image.tif' }));
    const body = Buffer.from(await got.Body!.transformToByteArray());
    assert.equal(body.length, old.length);
    assert.ok(body.equals(old), 'the old content, whole');
    assert.equal(got.ETag, `"${md5(old)}"`);
    assert.equal(got.ContentType, 'image/tiff');
    assert.deepEqual(got.Metadata, { shot: '1' });
    await assert.rejects(
      edge.s3.send(new HeadObjectCommand({ Bucket, Key: 'fresh' })),
      (e: Error) => e.name === 'NotFound',
    );

    const listedAfter = await edge.s3.send(new ListObjectsV2Command({ Bucket }));
    assert.deepEqual(listedAfter.Contents, listedBefore.Contents);
    const notes = await edge.s3.send(new GetObjectCommand({ Bucket, Key: 'notes/a.txt' }));
    assert.equal(await notes.Body!.transformToString(), 'kept');
    const cors = await edge.s3.send(new GetBucketCorsCommand({ Bucket }));
    assert.deepEqual(cors.CORSRules?.[0]?.AllowedOrigins, ['https://example.com']);
    const parts = await edge.s3.send(new ListPartsCommand({ Bucket, Key: 'pending', UploadId: pending.UploadId }));
    assert.equal(parts.Parts?.[0]?.Size, 8);
  } finally {
    await killHard(edge.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('readers of a key that is overwritten again and again always get one complete version', async () => {
  const edge = await startTestEdge();
  try {
    const s3 = sdkClient(edge);
    await s3.send(new CreateBucketCommand({ Bucket }));
    const versions = Array.from({ length: 4 }, (_, i) => randomBytes((1 << 20) + i * 4099));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'hot', Body: versions[0] }));
    const known = new Set(versions.map((v) => `"${md5(v)}"`));
    let writing = true;
    const writer = (async () => {
      for (let round = 1; round <= 12; round++)
        await s3.send(new PutObjectCommand({ Bucket, Key: 'hot', Body: versions[round % versions.length] }));
      writing = false;
    })();
    const seen = new Set<string>();
    const reader = async () => {
      let reads = 0;
      while (writing || reads === 0) {
        const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'hot' }));
        const body = Buffer.from(await got.Body!.transformToByteArray());
        assert.equal(got.ETag, `"${md5(body)}"`, 'the body is the version the ETag names');
        assert.ok(known.has(got.ETag));
        assert.equal(Number(got.ContentLength), body.length);
        seen.add(got.ETag);
        reads++;
      }
      return reads;
    };
    const reads = await Promise.all([reader(), reader(), reader()]);
    await writer;
    assert.ok(reads.every((n) => n > 0));
    assert.ok(seen.size > 1, 'readers overlapped with several versions');
    assert.deepEqual(readdirSync(path.join(edge.dataDir, 'tmp')), []);
  } finally {
    await edge.close();
  }
});
