// The edge dispatches by what services declare: host/path claims, unsigned takers, credential scope, the unscoped rest.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { EdgeRequest, EdgeService } from '../../src/edge/types.ts';
import { writeRestJsonError } from '../../src/protocols/rest-json.ts';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { loadServiceModel, sendSigned } from '../helpers/botocore-walk.ts';

let edge: TestEdge;
const seen: string[] = [];

function fakeService(name: string, extra: Partial<EdgeService>): EdgeService {
  return {
    name,
    bufferBody: true,
    handle(request: EdgeRequest) {
      seen.push(`${name} ${request.method} ${request.rawPath} ${request.auth ? 'signed' : 'unsigned'}`);
      request.res.writeHead(200, { 'content-type': 'text/plain' });
      request.res.end(name);
      return Promise.resolve();
    },
    sendError: (request, error) => writeRestJsonError(request, error),
    ...extra,
  };
}

before(async () => {
  edge = await startTestEdge();
  edge.running.edge.register(fakeService('fake-host', { claims: (host) => host.startsWith('fake.localhost') }));
  edge.running.edge.register(
    fakeService('fake-public', { takesUnsigned: (_host, _path, headers) => headers['x-amz-target'] === 'Fake.Public' }),
  );
});
after(async () => {
  await edge.close();
});

test('a service claiming a host gets its requests; one taking unsigned requests gets only unsigned ones', async () => {
  const claimed = await get(`${edge.url}/any/path`, 'fake.localhost');
  assert.deepEqual(claimed, [200, 'fake-host']);

  const unsigned = await fetch(`${edge.url}/`, {
    method: 'POST',
    headers: { 'x-amz-target': 'Fake.Public' },
    body: '{}',
  });
  assert.deepEqual([unsigned.status, await unsigned.text()], [200, 'fake-public']);

  // A signed request goes by its credential scope (an unserved service here), whatever a taker would say.
  const dynamodb = loadServiceModel('dynamodb');
  const signed = await sendSigned(edge, dynamodb, {
    method: 'POST',
    path: '/',
    headers: { 'x-amz-target': 'Fake.Public' },
    body: '{}',
  });
  assert.equal(signed.status, 501);

  // Anything else unsigned is the unscoped service's (S3), which refuses it in its own format.
  const other = await fetch(`${edge.url}/`, { method: 'POST', headers: { 'x-amz-target': 'Other.Op' }, body: '{}' });
  assert.equal(other.status, 403);
  assert.match(await other.text(), /<Code>AccessDenied<\/Code>/);
  assert.deepEqual(seen, ['fake-host GET /any/path unsigned', 'fake-public POST / unsigned']);
});

/** A GET with a Host header of our choosing (fetch keeps the URL's). */
function get(url: string, host: string): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve([res.statusCode ?? 0, body]));
      })
      .on('error', reject);
  });
}
