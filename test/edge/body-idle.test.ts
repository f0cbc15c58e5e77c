import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';

let edge: TestEdge;
let s3: S3Client;

before(async () => {
  edge = await startTestEdge({ DDN_BODY_IDLE_TIMEOUT_S: '0.5' });
  s3 = new S3Client({ region: edge.region, endpoint: edge.url, forcePathStyle: true, credentials: edge.credentials });
  await s3.send(new CreateBucketCommand({ Bucket: 'idle' }));
});

after(async () => {
  s3.destroy();
  await edge.close();
});

/** Sends the request head and `sent` of the declared body, then nothing; resolves with all it got until the close. */
function stalledRequest(method: string, target: string, declared: number, sent: string): Promise<string> {
  const url = new URL(edge.url);
  const exchange = new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      socket.write(`${method} ${target} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: ${declared}\r\n\r\n${sent}`);
    });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
  const hang = sleep(15_000).then(() => Promise.reject(new Error('the edge never answered the stalled body')));
  return Promise.race([exchange, hang]);
}

test('an S3 upload whose body stops arriving: 400 RequestTimeout, the connection closed, no object written', async () => {
  const url = new URL(
    await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'idle', Key: 'stalled.bin' }), { expiresIn: 300 }),
  );
  const answer = await stalledRequest('PUT', url.pathname + url.search, 1000, 'x');
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.match(
    answer,
    /<Code>RequestTimeout<\/Code><Message>Your socket connection to the server was not read from or written to within the timeout period\. Idle connections will be closed\.<\/Message>/,
  );
  await assert.rejects(
    s3.send(new HeadObjectCommand({ Bucket: 'idle', Key: 'stalled.bin' })),
    (e: Error) => e.name === 'NotFound',
  );
  await s3.send(new PutObjectCommand({ Bucket: 'idle', Key: 'after.bin', Body: 'ok' }));
});

test('a JSON service or API data-plane body that stops arriving: the connection is closed', async () => {
  for (const target of ['/2015-03-31/functions', '/_aws/execute-api/nosuchapi/x']) {
    const answer = await stalledRequest('POST', target, 100, '{');
    assert.doesNotMatch(answer, /^HTTP\/1\.1 2/, target);
  }
});
