import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderAccessLog } from '../../src/apigw/access-log.ts';
import { DEFAULT_ACCESS_LOG_FORMAT } from '../../src/apigw/access-log.ts';
import { parseAccessLogLine } from '../../src/client/usage/records.ts';
import { ANONYMOUS, parseDateOption, percentile, usageReport, withinWindow } from '../../src/client/usage/report.ts';
import { readLogFile } from '../../src/client/usage/sources.ts';
import { usageCsv, usageTable } from '../../src/cli/usage.ts';

const T0 = Date.UTC(2026, 11, 6, 10, 0, 0);

function billingLine(fields: {
  user?: string;
  routeKey: string;
  status: number;
  length?: number;
  latency?: number;
  time?: number;
}): string {
  const user = fields.user ?? '-';
  return (
    `{"requestId":"r","ip":"127.0.0.1","user":"${user}","sub":"${fields.user ? 'sub-' + user : '-'}","requestTime":${fields.time ?? T0},` +
    `"httpMethod":"GET","routeKey":"${fields.routeKey}","path":"/x","status":"${fields.status}","protocol":"HTTP/1.1",` +
    `"responseLength":${fields.length ?? '-'},"responseLatency":${fields.latency ?? '-'}}`
  );
}

test("a billing line: user, route, status, bytes, latency; API Gateway's bare - reads as absent", () => {
  assert.deepEqual(
    parseAccessLogLine(billingLine({ user: 'alice', routeKey: 'GET /presign', status: 200, length: 120, latency: 7 })),
    {
      time: T0,
      user: 'alice',
      routeKey: 'GET /presign',
      status: 200,
      bytes: 120,
      latencyMs: 7,
    },
  );
  assert.deepEqual(parseAccessLogLine(billingLine({ routeKey: 'GET /ping', status: 401 })), {
    time: T0,
    user: undefined,
    routeKey: 'GET /ping',
    status: 401,
    bytes: 0,
    latencyMs: undefined,
  });
  assert.equal(parseAccessLogLine('127.0.0.1 - - [06/Dec/2026:10:00:00 +0000] "GET /ping"'), undefined);
  assert.equal(parseAccessLogLine('{"requestId":"cut'), undefined);
});

test('the console preset (requestTime in CLF, quoted numbers, no latency) is read too', () => {
  const line = renderAccessLog(DEFAULT_ACCESS_LOG_FORMAT, {
    request: {
      requestId: 'r1',
      startedAt: T0,
      method: 'POST',
      fullPath: '/invocations',
      routeKey: 'POST /invocations',
      sourceIp: '127.0.0.1',
    } as never,
    outcome: { status: 502, length: 35 },
    endedAt: T0 + 4,
  });
  const record = parseAccessLogLine(line)!;
  assert.equal(record.time, T0);
  assert.equal(record.status, 502);
  assert.equal(record.bytes, 35);
  assert.equal(record.routeKey, 'POST /invocations');
  assert.equal(record.latencyMs, undefined);
  assert.equal(parseAccessLogLine('{"requestTime":"06/Dec/2026:11:00:00 +0100"}')!.time, T0);
});

test('grouped by user, route, day and status, with totals, errors and nearest-rank percentiles', () => {
  const lines = [
    billingLine({ user: 'alice', routeKey: 'GET /presign', status: 200, length: 100, latency: 10 }),
    billingLine({ user: 'alice', routeKey: 'POST /invocations', status: 200, length: 300, latency: 50 }),
    billingLine({
      user: 'bob',
      routeKey: 'GET /presign',
      status: 200,
      length: 100,
      latency: 20,
      time: T0 + 86_400_000,
    }),
    billingLine({ routeKey: 'POST /invocations', status: 401, length: 26, latency: 1 }),
  ];
  const records = lines.map((l) => parseAccessLogLine(l)!);
  const byUser = usageReport(records, 'user');
  assert.deepEqual(
    byUser.rows.map((r) => [r.key, r.requests, r.bytes, r.errors, r.p50Ms, r.p95Ms]),
    [
      ['alice', 2, 400, 0, 10, 50],
      [ANONYMOUS, 1, 26, 1, 1, 1],
      ['bob', 1, 100, 0, 20, 20],
    ],
  );
  assert.deepEqual([byUser.total.requests, byUser.total.bytes, byUser.total.errors], [4, 526, 1]);
  assert.deepEqual(
    usageReport(records, 'route').rows.map((r) => [r.key, r.requests]),
    [
      ['GET /presign', 2],
      ['POST /invocations', 2],
    ],
  );
  assert.deepEqual(
    usageReport(records, 'day').rows.map((r) => [r.key, r.requests]),
    [
      ['2026-12-06', 3],
      ['2026-12-07', 1],
    ],
  );
  assert.deepEqual(
    usageReport(records, 'status').rows.map((r) => [r.key, r.errors]),
    [
      ['200', 0],
      ['401', 1],
    ],
  );
  assert.equal(
    usageCsv(byUser),
    'user,requests,bytes,errors,p50_ms,p95_ms\nalice,2,400,0,10,50\n(anonymous),1,26,1,1,1\nbob,1,100,0,20,20\n',
  );
  assert.match(usageTable(byUser), /^total\s+4\s+526\s+1\s+10\s+50$/m);
});

test('without latency in the format, p50/p95 are n/a', () => {
  const report = usageReport([{ bytes: 5, status: 200, routeKey: 'GET /ping' }], 'route');
  assert.equal(report.hasLatency, false);
  assert.equal(report.total.p50Ms, null);
  assert.match(usageTable(report), /GET \/ping\s+1\s+5\s+0\s+n\/a\s+n\/a/);
  assert.equal(usageCsv(report), 'route,requests,bytes,errors,p50_ms,p95_ms\nGET /ping,1,5,0,,\n');
});

test('percentiles, dates and the window', () => {
  assert.equal(percentile([], 50), null);
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.equal(percentile([1, 2, 3, 4], 95), 4);
  assert.equal(
    percentile(
      Array.from({ length: 100 }, (_, i) => i + 1),
      95,
    ),
    95,
  );
  assert.equal(parseDateOption('2026-12-06', false), Date.UTC(2026, 11, 6));
  assert.equal(parseDateOption('2026-12-06', true), Date.UTC(2026, 11, 7));
  assert.equal(parseDateOption('2026-12-06T10:00:00Z', true), T0);
  assert.equal(parseDateOption('yesterday', false), undefined);
  const records = [{ time: T0 - 1, bytes: 0 }, { time: T0, bytes: 0 }, { time: T0 + 1, bytes: 0 }, { bytes: 0 }];
  assert.equal(withinWindow(records).length, 4);
  assert.deepEqual(
    withinWindow(records, T0, T0 + 1).map((r) => r.time),
    [T0],
  );
});

test('a log file: blank lines ignored, foreign lines counted, a missing file is empty', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-usage-'));
  try {
    const file = path.join(dir, 'api.log');
    writeFileSync(
      file,
      `${billingLine({ user: 'alice', routeKey: 'GET /presign', status: 200, length: 1 })}\n\nnot json\n`,
    );
    const read = await readLogFile(file);
    assert.equal(read.records.length, 1);
    assert.equal(read.skipped, 1);
    assert.deepEqual(await readLogFile(path.join(dir, 'none.log')), { records: [], skipped: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
