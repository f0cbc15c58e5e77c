import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusyError, JobLimiter } from '../../src/inference/job-limiter.ts';

test('a waiting job whose signal aborts leaves the queue at once, and its place goes to the next', async () => {
  const limiter = new JobLimiter(1, 1);
  const release = await limiter.acquire();
  const controller = new AbortController();
  const waiting = limiter.acquire(controller.signal);
  await assert.rejects(limiter.acquire(), BusyError);
  controller.abort(new Error('client gone'));
  await assert.rejects(waiting, /client gone/);
  assert.equal(limiter.queued, 0);
  const next = limiter.acquire();
  release();
  (await next)();
  assert.equal(limiter.active, 0);
});
