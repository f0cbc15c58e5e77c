import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '../../src/config/logger.ts';
import { startInferenceServer, type InferenceServer } from '../../src/inference/server.ts';

// An S3 endpoint that accepts connections and never answers: a dead backend.
let stalled: http.Server;
let server: InferenceServer;
const held: http.ServerResponse[] = [];

const request = (n: number) => ({
  model: 'efficient',
  type: 'static',
  pixel_pitch: 0.14,
  img_input_url: `s3://in-bucket/a${n}.tif`,
  img_output_url: `s3://out-bucket/b${n}.tif`,
  digital_offset: 0,
  using_bits: 16,
  strength: 10,
  width: 8,
  height: 8,
});
const post = (n: number) => fetch(`${server.url}/invocations`, { method: 'POST', body: JSON.stringify(request(n)) });

before(async () => {
  stalled = http.createServer((_req, res) => held.push(res));
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  server = await startInferenceServer({
    port: 0,
    s3,
    concurrency: 1,
    maxQueued: 1,
    timeoutS: 2,
    logger: createLogger('inference-test', 'silent'),
  });
  await server.ready;
});

after(async () => {
  await server.close();
  stalled.closeAllConnections();
  await new Promise<void>((resolve) => stalled.close(() => resolve()));
});

test('beyond the running job and the queue: 503 Busy with Retry-After; /ping answers meanwhile; a job over the timeout is a 500 that frees its slot', async () => {
  const running = post(1);
  const queued = post(2);
  // Wait until the running job has reached the backend.
  while (held.length === 0) await new Promise((r) => setTimeout(r, 20));
  const busy = await post(3);
  assert.equal(busy.status, 503);
  assert.ok(Number(busy.headers.get('retry-after')) > 0);
  assert.equal(((await busy.json()) as { error: string }).error, 'Busy');

  const ping = await fetch(`${server.url}/ping`);
  assert.equal(ping.status, 200);

  const first = await running;
  assert.equal(first.status, 500);
  const body = (await first.json()) as { error: string; message: string };
  assert.equal(body.error, 'Processing failed');
  assert.match(body.message, /DDN_INFERENCE_TIMEOUT_S/);
  assert.doesNotMatch(body.message, /\n\s+at /);
  // The freed slot went to the queued job, which also times out against the dead backend.
  assert.equal((await queued).status, 500);
  assert.equal(held.length, 2);
});
