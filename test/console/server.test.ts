import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { registerConsole } from '../../src/console/index.ts';

let edge: TestEdge;
let endpoint: string | undefined;

before(async () => {
  edge = await startTestEdge();
  registerConsole(edge.running.edge, () => endpoint, { inBucket: 'in-b', outBucket: 'out-b' });
});
after(() => edge.close());

test('serves the page, its bundle and its stylesheet from memory', async () => {
  const page = await fetch(`${edge.url}/_ddn/console/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type')!, /^text\/html/);
  const html = await page.text();
  assert.match(html, /<script type="module" src="app.js">/);
  const app = await fetch(`${edge.url}/_ddn/console/app.js`);
  assert.equal(app.status, 200);
  assert.match(app.headers.get('content-type')!, /^text\/javascript/);
  const js = await app.text();
  assert.ok(js.length > 1000 && js.length < 200_000, `bundle size ${js.length}`);
  assert.doesNotMatch(js, /https?:\/\/(cdn|unpkg|esm\.sh)/);
  const chunks = [...js.matchAll(/"\.\/(chunk-[A-Z0-9]+\.js)"/g)].map((m) => m[1]);
  assert.ok(chunks.length > 0, 'the decoders are split into chunks');
  for (const chunk of chunks) assert.equal((await fetch(`${edge.url}/_ddn/console/${chunk}`)).status, 200, chunk);
  const css = await fetch(`${edge.url}/_ddn/console/style.css`);
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type')!, /^text\/css/);
});

test('config.json gives the current API endpoint and the buckets', async () => {
  endpoint = undefined;
  assert.deepEqual(await (await fetch(`${edge.url}/_ddn/console/config.json`)).json(), {
    apiEndpoint: null,
    inBucket: 'in-b',
    outBucket: 'out-b',
    signIn: null,
  });
  endpoint = 'http://abc.execute-api.localhost:1234';
  const response = await fetch(`${edge.url}/_ddn/console/config.json`);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await response.json(), {
    apiEndpoint: endpoint,
    inBucket: 'in-b',
    outBucket: 'out-b',
    signIn: null,
  });
});

test('redirects the bare path, refuses other methods and unknown files', async () => {
  const bare = await fetch(`${edge.url}/_ddn/console`, { redirect: 'manual' });
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get('location'), '/_ddn/console/');
  const post = await fetch(`${edge.url}/_ddn/console/`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  assert.equal((await fetch(`${edge.url}/_ddn/console/page/main.ts`)).status, 404);
  assert.equal((await fetch(`${edge.url}/_ddn/console/nope.js`)).status, 404);
  const head = await fetch(`${edge.url}/_ddn/console/app.js`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.ok(Number(head.headers.get('content-length')) > 1000);
});
