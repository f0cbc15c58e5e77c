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
  const request = {
    requestId: 'abc=',
    method: 'GET',
    fullPath: '/p',
    routeKey: 'GET /p',
    stageName: '$default',
    startedAt: 1_700_000_000_000,
    userAgent: 'say "hi"',
  } as GatewayRequest;
  const record: AccessLogRecord = { request, outcome: { status: 200, length: 0 }, endedAt: 1_700_000_000_012 };
  const line = renderAccessLog(
    '$context.requestId ${context.httpMethod} $context.status $context.responseLength $context.responseLatency $context.nope $context.integrationErrorMessage "$context.identity.userAgent"',
    record,
  );
  assert.equal(line, 'abc= GET 200 0 12 - - "say \\"hi\\""');
});

test('access-log formats: authorizer claims (names with :), error, principalId, context keys and IAM identity', () => {
  const base = {
    requestId: 'r=',
    method: 'GET',
    fullPath: '/p',
    routeKey: 'GET /p',
    stageName: 'dev',
    startedAt: 0,
    userAgent: '',
  };
  const jwt = {
    ...base,
    authorizer: {
      kind: 'jwt',
      claims: { 'cognito:username': 'alice', sub: 's-1', 'custom:tenant-id': 't' },
      scopes: null,
    },
  };
  const format =
    '$context.authorizer.claims.cognito:username $context.authorizer.claims.sub $context.authorizer.claims.custom:tenant-id' +
    ' $context.authorizer.claims $context.stage:x $context.authorizer.error';
  const ok: AccessLogRecord = {
    request: jwt as unknown as GatewayRequest,
    outcome: { status: 200, length: 0 },
    endedAt: 0,
  };
  assert.equal(renderAccessLog(format, ok), 'alice s-1 t - dev:x -');
  const refused: AccessLogRecord = {
    request: base as GatewayRequest,
    outcome: { status: 401, length: 26, authorizerError: 'the token has expired' },
    endedAt: 0,
  };
  assert.equal(renderAccessLog(format, refused), '- - - - dev:x the token has expired');

  const lambda = {
    ...base,
    authorizer: { kind: 'lambda', principalId: 'p-1', context: { tenant: 't1', n: 3, ok: true } },
  };
  const record: AccessLogRecord = {
    request: lambda as unknown as GatewayRequest,
    outcome: { status: 200, length: 0 },
    endedAt: 0,
  };
  assert.equal(
    renderAccessLog(
      '$context.authorizer.principalId $context.authorizer.tenant $context.authorizer.n $context.authorizer.ok $context.authorizer.nope',
      record,
    ),
    'p-1 t1 3 true -',
  );

  const identity = {
    accessKey: 'AKIA1',
    accountId: '000000000000',
    callerId: '000000000000',
    userArn: 'arn:aws:iam::000000000000:root',
    userId: '000000000000',
  };
  const iam: AccessLogRecord = {
    request: { ...base, authorizer: { kind: 'iam', identity } } as unknown as GatewayRequest,
    outcome: { status: 200, length: 0 },
    endedAt: 0,
  };
  assert.equal(
    renderAccessLog('$context.identity.userArn $context.identity.accessKey', iam),
    'arn:aws:iam::000000000000:root AKIA1',
  );
});
