import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos } from './scenarios.ts';

test('chaos, short form: every fault scenario against a real ddn up holds', async () => {
  const lines: string[] = [];
  const reports = await runChaos({ short: true, log: (line) => lines.push(line) });
  assert.ok(reports.length >= 6);
  assert.deepEqual(
    reports.filter((r) => r.result === 'FAILED'),
    [],
    lines.join('\n'),
  );
});
