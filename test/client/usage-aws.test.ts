// ddn usage --aws reads the log group through CloudWatch Logs FilterLogEvents: a small server speaking that
// operation's JSON 1.1 (two pages) stands in for AWS, and the SDK v3 client talks to it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logsClient } from '../../src/client/aws-clients.ts';
import { readLogGroup } from '../../src/client/usage/sources.ts';

const T0 = Date.UTC(2026, 11, 6, 10);
const line = (user: string, status: number) =>
  `{"requestId":"r","user":"${user}","requestTime":${T0},"routeKey":"GET /presign","status":"${status}","responseLength":10}`;

let server: Server;
let url: string;
const requests: Array<{ target: string | undefined; body: Record<string, unknown> }> = [];

before(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      requests.push({ target: req.headers['x-amz-target'] as string | undefined, body });
      const page =
        body.nextToken === undefined
          ? { events: [{ message: line('alice', 200) }, { message: 'not an access-log line' }], nextToken: 'page2' }
          : { events: [{ message: line('bob', 403) }] };
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(page));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => server?.close());

test('every page of the log group is read, within the window; foreign lines are counted', async () => {
  const logs = logsClient({
    url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
  });
  const read = await readLogGroup(logs, '/ddn/ddn-api', T0, T0 + 86_400_000);
  assert.deepEqual(
    read.records.map((r) => [r.user, r.status]),
    [
      ['alice', 200],
      ['bob', 403],
    ],
  );
  assert.equal(read.skipped, 1);
  assert.equal(requests.length, 2);
  assert.equal(requests[0].target, 'Logs_20140328.FilterLogEvents');
  assert.deepEqual(requests[0].body, { logGroupName: '/ddn/ddn-api', startTime: T0, endTime: T0 + 86_400_000 - 1 });
  assert.equal(requests[1].body.nextToken, 'page2');
});
