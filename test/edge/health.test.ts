import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEdge } from '../helpers/edge.ts';

test('GET /_ddn/health is 503 until every expected component is ready, then 200', async () => {
  const edge = await startTestEdge();
  try {
    edge.running.edge.expect('thing');
    let res = await fetch(`${edge.url}/_ddn/health`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { services: Record<string, { ready: boolean }> }).services.thing.ready, false);
    edge.running.edge.markReady('thing', { version: 1 });
    res = await fetch(`${edge.url}/_ddn/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready', services: { thing: { ready: true, version: 1 } } });
  } finally {
    await edge.close();
  }
});
