import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '../../src/config/logger.ts';
import { startInferenceServer, type InferenceServer } from '../../src/inference/server.ts';
import { craftTiff, validTiff } from '../helpers/tiff-craft.ts';

const MAX_PIXELS = 1_000_000;
const objects = new Map<string, Buffer>([
  ['/in-bucket/small.tif', validTiff(32, 16)],
  ['/in-bucket/truncated.tif', validTiff(64, 64).subarray(0, 4000)],
  ['/in-bucket/bomb.tif', craftTiff({ width: 16000, height: 16000 }, new Uint8Array(512))],
]);
/** Keys PUT to the stub, and the GETs of /in-bucket/hold.tif it keeps unanswered (with when each closed). */
const puts: string[] = [];
const held: Array<{ closed: Promise<void> }> = [];
let s3stub: http.Server;
let server: InferenceServer;

const job = (input: string, output: string) => ({
  model: 'efficient',
  type: 'static',
  pixel_pitch: 0.14,
  img_input_url: `s3://in-bucket/${input}`,
  img_output_url: `s3://out-bucket/${output}`,
  digital_offset: 0,
  using_bits: 16,
  strength: 10,
  width: 32,
  height: 16,
});
const post = (body: unknown, signal?: AbortSignal) =>
  fetch(`${server.url}/invocations`, { method: 'POST', body: JSON.stringify(body), signal });

before(async () => {
  s3stub = http.createServer((req, res) => {
    if (req.method === 'PUT') {
      req.resume();
      return req.on('end', () => (puts.push(req.url!.split('?')[0]), res.writeHead(200, { etag: '"x"' }), res.end()));
    }
    const path = req.url!.split('?')[0];
    if (path === '/in-bucket/hold.tif')
      return void held.push({ closed: new Promise((resolve) => res.once('close', () => resolve())) });
    const body = objects.get(path);
    if (!body)
      return void (
        res.writeHead(404, { 'content-type': 'application/xml' }),
        res.end('<Error><Code>NoSuchKey</Code></Error>')
      );
    res.writeHead(200, { 'content-type': 'image/tiff', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => s3stub.listen(0, '127.0.0.1', resolve));
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(s3stub.address() as AddressInfo).port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  // One slot and no queue: a job that kept its slot would turn the next one away with 503 Busy.
  server = await startInferenceServer({
    port: 0,
    s3,
    concurrency: 1,
    maxQueued: 0,
    timeoutS: 60,
    maxPixels: MAX_PIXELS,
    bodyIdleTimeoutS: 0.5,
    logger: createLogger('inference-test', 'silent'),
  });
  await server.ready;
});

after(async () => {
  await server.close();
  s3stub.closeAllConnections();
  await new Promise<void>((resolve) => s3stub.close(() => resolve()));
});

/** Resolves with `promise`, or fails the test when it has not settled within `ms` (a hang, not a slow machine). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timeout = sleep(ms).then(() => Promise.reject(new Error(`${what}: still waiting after ${ms} ms`)));
  return Promise.race([promise, timeout]);
}

test('a job whose client went away is cancelled: its download stops, its slot frees at once, it writes nothing', async () => {
  const client = new AbortController();
  const abandoned = post(job('hold.tif', 'abandoned.tif'), client.signal).catch(() => undefined);
  while (held.length === 0) await sleep(20);
  client.abort();
  await abandoned;
  await within(held[0].closed, 10_000, "the cancelled job's S3 download");
  const next = await post(job('small.tif', 'next.tif'));
  assert.equal(next.status, 200, await next.text());
  assert.deepEqual(puts, ['/out-bucket/next.tif']);
});

test('a truncated TIFF is bad input: 400 Invalid parameter', async () => {
  const res = await post(job('truncated.tif', 't.tif'));
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: string; message: string };
  assert.equal(body.error, 'Invalid parameter');
  assert.match(body.message, /^img_input_url: the TIFF could not be decoded \(truncated or corrupt\)/);
});

test('a TIFF declaring more pixels than DDN_INFERENCE_MAX_PIXELS is refused from its header, naming the limit', async () => {
  const res = await post(job('bomb.tif', 'b.tif'));
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: string; message: string };
  assert.equal(body.error, 'Invalid parameter');
  assert.equal(
    body.message,
    `img_input_url: the TIFF is 16000x16000 = 256000000 pixels, above the limit of ${MAX_PIXELS} (DDN_INFERENCE_MAX_PIXELS)`,
  );
});

test('strength "abc" and 10.5 are reported as what they are, not as missing', async () => {
  for (const [strength, message] of [
    ['abc', 'strength: must be a number, got "abc"'],
    [10.5, 'strength: must be a whole number, got 10.5'],
  ] as const) {
    const res = await post({ ...job('small.tif', 's.tif'), strength });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { message: string }).message, message);
  }
});

test('a request body that stops arriving is answered 408 and closed; then the server serves jobs as before', async () => {
  const answer = await within(
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(
          'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
        );
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    }),
    10_000,
    'the answer to a stalled body',
  );
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.match(answer, /DDN_BODY_IDLE_TIMEOUT_S/);
  assert.equal((await post(job('small.tif', 'after.tif'))).status, 200);
});
