import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { fromArrayBuffer } from 'geotiff';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { createLogger } from '../../src/config/logger.ts';
import { createS3Client } from '../../src/inference/s3-io.ts';
import { startInferenceServer, type InferenceServer } from '../../src/inference/server.ts';
import { cleanPhantom, noisyPhantom, DOSES } from '../../src/denoise/phantom.ts';
import { encodeModel, TensorType } from '../../src/denoise/onnx-builder.ts';

const W = 96;
const H = 64;
let edge: TestEdge;
let s3: S3Client;
let server: InferenceServer;
let custom: InferenceServer;
let modelDir: string;
const noisy = noisyPhantom(cleanPhantom(128), DOSES.g8).subarray(0, W * H);

const valid = (extra: Record<string, unknown> = {}) => ({
  model: 'efficient',
  type: 'static',
  pixel_pitch: 0.14,
  img_input_url: 's3://in-bucket/xray.tif',
  img_output_url: 's3://out-bucket/xray-out.tif',
  digital_offset: 1000,
  using_bits: 16,
  strength: 10,
  width: W,
  height: H,
  ...extra,
});

/** The fields of the server's answers (a result or an error) that the tests assert on. */
interface InvocationAnswer {
  error: string;
  message: string;
  output_width: number;
  output_height: number;
  warnings: string[];
  timings_ms: Record<string, number>;
  /** The request's own fields, echoed. */
  [field: string]: unknown;
}

async function invoke(base: string, body: unknown, route = '/invocations') {
  const res = await fetch(`${base}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as InvocationAnswer, headers: res.headers };
}

async function getBytes(bucket: string, key: string): Promise<ArrayBuffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = await res.Body!.transformToByteArray();
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

/** The first image of a TIFF, decoded with geotiff (independent of sharp). */
async function readTiff(bytes: ArrayBuffer) {
  const image = await (await fromArrayBuffer(bytes)).getImage();
  const [samples] = (await image.readRasters()) as unknown as ArrayLike<number>[];
  const dir = image.fileDirectory as {
    BitsPerSample: number[];
    Compression: number;
    XResolution: number[];
    ResolutionUnit: number;
  };
  return {
    width: image.getWidth(),
    height: image.getHeight(),
    samples,
    bits: dir.BitsPerSample[0],
    compression: dir.Compression,
    xres: dir.XResolution,
    unit: dir.ResolutionUnit,
  };
}

before(async () => {
  edge = await startTestEdge();
  // The server's client comes from the standard chain: this process's environment, as on ECS.
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_REGION',
    'AWS_ENDPOINT_URL',
    'AWS_CONFIG_FILE',
    'AWS_SHARED_CREDENTIALS_FILE',
  ])
    process.env[name] = edge.env[name];
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  s3 = createS3Client();
  for (const bucket of ['in-bucket', 'out-bucket']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const tiff16 = await sharp(noisy.slice(), { raw: { width: W, height: H, channels: 1 } })
    .toColourspace('grey16')
    .tiff({ compression: 'lzw', xres: 1 / 0.14, yres: 1 / 0.14, resolutionUnit: 'cm' })
    .toBuffer();
  const tiff8 = await sharp(Buffer.from(Uint8Array.from({ length: W * H }, (_, i) => 60 + (i % 31))), {
    raw: { width: W, height: H, channels: 1 },
  })
    .toColourspace('b-w')
    .tiff({ compression: 'packbits' })
    .toBuffer();
  const rgb = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#336699' } })
    .tiff({ compression: 'lzw' })
    .toBuffer();
  const png = await sharp(Buffer.alloc(256), { raw: { width: 16, height: 16, channels: 1 } })
    .png()
    .toBuffer();
  const objects: [string, Uint8Array][] = [
    ['xray.tif', tiff16],
    ['eight.tif', tiff8],
    ['rgb.tif', rgb],
    ['image.png', png],
    ['notes.txt', Buffer.from('not an image')],
  ];
  for (const [key, body] of objects) await s3.send(new PutObjectCommand({ Bucket: 'in-bucket', Key: key, Body: body }));

  const logger = createLogger('inference-test', 'silent');
  server = await startInferenceServer({ port: 0, s3, logger });
  // A model directory whose `efficient.onnx` multiplies by zero and takes no strength input.
  modelDir = mkdtempSync(path.join(tmpdir(), 'ddn-models-'));
  const zero = encodeModel({
    name: 'zero',
    nodes: [{ op: 'Mul', inputs: ['x', 'zero'], outputs: ['y'] }],
    initializers: [{ name: 'zero', dims: [1], type: TensorType.FLOAT, data: Float32Array.of(0) }],
    inputs: [{ name: 'x', type: TensorType.FLOAT, shape: [1, 1, 'h', 'w'] }],
    outputs: [{ name: 'y', type: TensorType.FLOAT, shape: [1, 1, 'h', 'w'] }],
  });
  writeFileSync(path.join(modelDir, 'efficient.onnx'), zero);
  custom = await startInferenceServer({ port: 0, s3, logger, modelDir });
  await Promise.all([server.ready, custom.ready]);
});

after(async () => {
  await server?.close();
  await custom?.close();
  await edge?.close();
  if (modelDir) rmSync(modelDir, { recursive: true, force: true });
});

test('GET /ping and /healthz answer {"status":"ok"} once the models are loaded', async () => {
  for (const route of ['/ping', '/healthz']) {
    const res = await fetch(`${server.url}${route}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  }
});

test('every missing field is a 400 naming it, and nothing is written', async () => {
  for (const field of Object.keys(valid())) {
    const body: Record<string, unknown> = valid({ img_output_url: `s3://out-bucket/missing-${field}.tif` });
    delete body[field];
    const res = await invoke(server.url, body);
    assert.equal(res.status, 400, field);
    assert.equal(res.body.error, 'Invalid parameter');
    assert.match(res.body.message, new RegExp(`^${field}: `));
  }
  assert.equal(await exists('out-bucket', 'missing-model.tif'), false);
});

test('wrong types and out-of-range values are 400 naming the field', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ strength: 21 }, 'strength'],
    [{ strength: -1 }, 'strength'],
    [{ strength: '5' }, 'strength'],
    [{ strength: 2.5 }, 'strength'],
    [{ model: 'huge' }, 'model'],
    [{ type: 'dynamic' }, 'type'],
    [{ pixel_pitch: 'small' }, 'pixel_pitch'],
    [{ using_bits: 17 }, 'using_bits'],
    [{ using_bits: 0 }, 'using_bits'],
    [{ digital_offset: -3 }, 'digital_offset'],
    [{ width: 0 }, 'width'],
    [{ height: 1.5 }, 'height'],
    [{ img_input_url: 'https://in-bucket.s3.amazonaws.com/xray.tif' }, 'img_input_url'],
    [{ img_output_url: 's3://out-bucket' }, 'img_output_url'],
    [{ img_output_url: 's3://in-bucket/xray.tif' }, 'img_output_url'],
  ];
  for (const [change, field] of cases) {
    const res = await invoke(server.url, valid(change));
    assert.equal(res.status, 400, JSON.stringify(change));
    assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message']);
    assert.equal(res.body.error, 'Invalid parameter');
    assert.match(res.body.message, new RegExp(`^${field}: `), JSON.stringify(change));
  }
  const notJson = await invoke(server.url, '{"model": ');
  assert.equal(notJson.status, 400);
  assert.match(notJson.body.message, /^body: /);
});

test('a missing object, a non-TIFF and a non-single-channel TIFF are 400 and write nothing', async () => {
  const cases: [string, RegExp][] = [
    ['s3://in-bucket/nothing-here.tif', /does not exist/],
    ['s3://no-such-bucket/xray.tif', /does not exist/],
    ['s3://in-bucket/notes.txt', /not a TIFF/],
    ['s3://in-bucket/image.png', /not a TIFF/],
    ['s3://in-bucket/rgb.tif', /not single-channel/],
  ];
  for (const [url, message] of cases) {
    const res = await invoke(server.url, valid({ img_input_url: url, img_output_url: 's3://out-bucket/rejected.tif' }));
    assert.equal(res.status, 400, url);
    assert.equal(res.body.error, 'Invalid parameter');
    assert.match(res.body.message, /^img_input_url: /);
    assert.match(res.body.message, message);
  }
  assert.equal(await exists('out-bucket', 'rejected.tif'), false);
});

test('strength 0 writes the input pixels bit-exact, with size, depth and resolution kept, deflate-compressed', async () => {
  const res = await invoke(server.url, valid({ strength: 0, img_output_url: 's3://out-bucket/same.tif' }));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.output_width, W);
  assert.equal(res.body.output_height, H);
  assert.deepEqual(res.body.warnings, []);
  for (const step of ['download', 'decode', 'denoise', 'encode', 'upload'])
    assert.equal(typeof res.body.timings_ms[step], 'number');
  const input = await readTiff(await getBytes('in-bucket', 'xray.tif'));
  const output = await readTiff(await getBytes('out-bucket', 'same.tif'));
  assert.deepEqual(Array.from(output.samples), Array.from(noisy));
  assert.equal(output.bits, 16);
  assert.ok([8, 32946].includes(output.compression), `compression ${output.compression}`);
  assert.equal(output.unit, input.unit);
  assert.ok(
    Math.abs(output.xres[0] / output.xres[1] - input.xres[0] / input.xres[1]) < 1e-3,
    `${output.xres.join(',')} vs ${input.xres.join(',')}`,
  );
});

test('a round trip through the local S3 denoises (POST /inference alias), echoing the request', async () => {
  for (const model of ['efficient', 'powerful']) {
    const request = valid({ model, img_output_url: `s3://out-bucket/denoised-${model}.tif` });
    const res = await invoke(server.url, request, '/inference');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const [k, v] of Object.entries(request)) assert.deepEqual(res.body[k], v);
    const output = await readTiff(await getBytes('out-bucket', `denoised-${model}.tif`));
    assert.equal(output.width, W);
    assert.equal(output.height, H);
    assert.equal(output.bits, 16);
    let changed = 0;
    for (let i = 0; i < noisy.length; i++) if (output.samples[i] !== noisy[i]) changed++;
    assert.ok(changed > noisy.length / 2, `${model}: only ${changed} pixels changed`);
  }
});

test('a size mismatch and 8-bit input are reported as warnings; 8-bit stays 8-bit', async () => {
  const res = await invoke(
    server.url,
    valid({
      img_input_url: 's3://in-bucket/eight.tif',
      img_output_url: 's3://out-bucket/eight.tif',
      width: 100,
      digital_offset: 0,
    }),
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.output_width, W);
  assert.equal(res.body.warnings.length, 2);
  assert.match(res.body.warnings.join(' '), /96x64, not the requested 100x64/);
  assert.match(res.body.warnings.join(' '), /not uint16/);
  assert.equal((await readTiff(await getBytes('out-bucket', 'eight.tif'))).bits, 8);
});

test('DDN_MODEL_DIR replaces a built-in model (a model that outputs zeros gives the offset everywhere)', async () => {
  const res = await invoke(custom.url, valid({ img_output_url: 's3://out-bucket/custom.tif', strength: 20 }));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const output = await readTiff(await getBytes('out-bucket', 'custom.tif'));
  assert.ok(Array.from(output.samples).every((v) => v === 1000));
});

test('unknown routes are 404 and wrong methods 405, in JSON', async () => {
  assert.equal((await fetch(`${server.url}/nope`)).status, 404);
  const res = await fetch(`${server.url}/invocations`);
  assert.equal(res.status, 405);
  assert.equal(((await res.json()) as { error: string }).error, 'Method not allowed');
});
