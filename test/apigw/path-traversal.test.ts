import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { deployApi, startUpstream } from './helpers.ts';

let edge: TestEdge;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let basePath: string;

before(async () => {
  edge = await startTestEdge();
  upstream = await startUpstream();
  const deployed = await deployApi(edge, [
    { routeKey: '$default', target: `${upstream.url}/base` },
    { routeKey: 'ANY /api/{proxy+}', target: `${upstream.url}/base/{proxy}` },
  ]);
  basePath = new URL(deployed.base).pathname;
});

after(async () => {
  await upstream.close();
  await edge.close();
});

/** A GET with the path sent exactly as written (fetch and URL would resolve the dot segments first). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${edge.url}/`, { path: basePath + path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const ATTACKS = [
  '/../admin',
  '/%2e%2e/admin',
  '/%2E%2E/admin',
  '/.%2e/admin',
  '/%2e./admin',
  '/%2e/admin',
  '/x/%2e%2e/%2e%2e/admin',
  '/%252e%252e/admin',
  '/%25252e%25252e/admin',
  '/%2e%252e/admin',
  '/x/..%2f..%2fadmin',
  '/x/..%5c..%5cadmin',
  '/api/..%2f..%2fadmin',
  '/api/%2e%2e%2f%2e%2e%2fadmin',
  '/api/%252e%252e%252fadmin',
  '/api/x/..%2f..%2f..%2fadmin',
  '/api/..%5cadmin',
];

test('no encoding of dot segments takes a request outside the integration path: 400 Bad Request, backend untouched', async () => {
  for (const attack of ATTACKS) {
    const before = upstream.received.length;
    const res = await rawGet(attack);
    assert.equal(res.status, 400, attack);
    assert.equal(res.body, '{"message":"Bad Request"}', attack);
    assert.equal(upstream.received.length, before, `${attack} reached the backend as ${upstream.received.at(-1)?.url}`);
  }
});

test('ordinary paths, dots inside names and a literal percent still reach the backend under its base path', async () => {
  for (const [path, expected] of [
    ['/ok', '/base/ok'],
    ['/a.b/..c/c..', '/base/a.b/..c/c..'],
    ['/api/x/y', '/base/x/y'],
    ['/100%25', '/base/100%25'],
  ]) {
    const res = await rawGet(path);
    assert.equal(res.status, 200, path);
    assert.equal(upstream.received.at(-1)!.url, expected);
  }
  for (const r of upstream.received) assert.ok(r.url.startsWith('/base/'), r.url);
});
