import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AccessLogFiles, renderAccessLog, type AccessLogRecord } from '../../src/apigw/access-log.ts';
import type { GatewayRequest } from '../../src/apigw/request-context.ts';

const ARN = 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/apigw/unit';

test('access-log files keep every line whole and in order across buffer flushes, long and non-ASCII lines included', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-access-log-'));
  try {
    const logs = new AccessLogFiles(dir);
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) lines.push(`{"n":${i},"ua":"${'é€'.repeat(i % 50)}"}`);
    lines.splice(700, 0, `{"long":"${'ж'.repeat(40_000)}"}`, `{"longer":"${'x'.repeat(70_000)}"}`);
    for (const line of lines) logs.write(ARN, line);
    await logs.close();
    assert.deepEqual(readFileSync(AccessLogFiles.fileOf(dir, ARN), 'utf8').split('\n'), [...lines, '']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('access-log formats: $context and ${context} variables, unknown and empty ones as -, quotes escaped', () => {
  const request = { requestId: 'abc=', method: 'GET', fullPath: '/p', routeKey: 'GET /p', stageName: '$default', startedAt: 1_700_000_000_000, userAgent: 'say "hi"' } as GatewayRequest;
  const record: AccessLogRecord = { request, outcome: { status: 200, length: 0 }, endedAt: 1_700_000_000_012 };
  const line = renderAccessLog('$context.requestId ${context.httpMethod} $context.status $context.responseLength $context.responseLatency $context.nope $context.integrationErrorMessage "$context.identity.userAgent"', record);
  assert.equal(line, 'abc= GET 200 0 12 - - "say \\"hi\\""');
});
