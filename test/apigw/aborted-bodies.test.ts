import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '../../src/config/logger.ts';
import { startInferenceServer, type InferenceServer } from '../../src/inference/server.ts';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { deployApi } from './helpers.ts';

// More than the gateway's 256 pooled connections per upstream.
const CLIENTS = 260;
let edge: TestEdge;
let inference: InferenceServer;
let hanging: http.Server;
let api: string;

before(async () => {
  // Stalled bodies stay open for as long as a test needs them.
  edge = await startTestEdge({ DDN_BODY_IDLE_TIMEOUT_S: '600' });
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: edge.url,
    forcePathStyle: true,
    credentials: edge.credentials,
  });
  inference = await startInferenceServer({
    port: 0,
    s3,
    bodyIdleTimeoutS: 600,
    logger: createLogger('inference-test', 'silent'),
  });
  await inference.ready;
  hanging = http.createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const hangingUrl = `http://127.0.0.1:${(hanging.address() as net.AddressInfo).port}`;
  const deployed = await deployApi(edge, [
    { routeKey: 'GET /ping', target: inference.url },
    { routeKey: 'POST /invocations', target: inference.url },
    { routeKey: 'POST /slow', target: hangingUrl, timeoutInMillis: 500 },
    { routeKey: 'GET /slow', target: hangingUrl, timeoutInMillis: 500 },
  ]);
  api = deployed.base;
});

after(async () => {
  await inference.close();
  hanging.closeAllConnections();
  await new Promise<void>((resolve) => hanging.close(() => resolve()));
  await edge.close();
});

/** Opens a connection, sends a request declaring a 100-byte body and one byte of it; resolves once sent. */
function partialBody(path: string): Promise<net.Socket> {
  const url = new URL(`${api}${path}`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      socket.write(
        `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
        () => resolve(socket),
      );
    });
    socket.on('error', reject);
  });
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timeout = sleep(ms).then(() => Promise.reject(new Error(`${what}: no answer after ${ms} ms`)));
  return Promise.race([promise, timeout]);
}

test(`${CLIENTS} clients that send 1 byte of a 100-byte body and leave do not wedge the route: /ping answers after`, async () => {
  const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => partialBody('/invocations')));
  await Promise.all(
    sockets.map((s) => new Promise<void>((resolve) => (s.once('close', () => resolve()), s.destroy()))),
  );
  const ping = await within(fetch(`${api}/ping`), 20_000, '/ping through the API');
  assert.equal(ping.status, 200);
  const bad = await within(
    fetch(`${api}/invocations`, { method: 'POST', body: '{' }),
    20_000,
    '/invocations through the API',
  );
  assert.equal(bad.status, 400);
});

test('the integration timeout covers waiting for a pooled connection: 503 while every connection is held', async () => {
  // Every pooled connection to the upstream carries a body that is still arriving.
  const holders = await Promise.all(Array.from({ length: CLIENTS }, () => partialBody('/slow')));
  try {
    const res = await within(fetch(`${api}/slow`), 20_000, 'GET /slow with every connection held');
    assert.equal(res.status, 503);
    assert.equal(await res.text(), '{"message":"Service Unavailable"}');
  } finally {
    for (const s of holders) s.destroy();
  }
});
