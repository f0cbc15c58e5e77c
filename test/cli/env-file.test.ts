import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { upsertEnvFile } from '../../src/cli/env-file.ts';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-envfile-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('upsert replaces the assignment in place and keeps comments, blank lines and other variables', () => {
  withDir((dir) => {
    const file = path.join(dir, '.env');
    const before =
      '# platform settings\nDDN_IN_BUCKET=my-in\n\n# the endpoint, written by ddn\nexport DDN_APIGW_ENDPOINT=http://old\n# DDN_APIGW_ENDPOINT=commented-out\nDDN_OUT_BUCKET=my-out # trailing\n';
    writeFileSync(file, before);
    upsertEnvFile(file, 'DDN_APIGW_ENDPOINT', 'http://127.0.0.1:4566/_aws/execute-api/abc');
    const after = readFileSync(file, 'utf8');
    assert.equal(
      after,
      before.replace(
        'export DDN_APIGW_ENDPOINT=http://old',
        'export DDN_APIGW_ENDPOINT=http://127.0.0.1:4566/_aws/execute-api/abc',
      ),
    );
    assert.equal(dotenv.parse(after).DDN_APIGW_ENDPOINT, 'http://127.0.0.1:4566/_aws/execute-api/abc');
  });
});

test('upsert appends to a file without the variable, and creates a missing file', () => {
  withDir((dir) => {
    const file = path.join(dir, '.env');
    upsertEnvFile(file, 'DDN_APIGW_ENDPOINT', 'https://k3m9x0abcd.execute-api.us-east-1.amazonaws.com');
    assert.equal(
      readFileSync(file, 'utf8'),
      'DDN_APIGW_ENDPOINT=https://k3m9x0abcd.execute-api.us-east-1.amazonaws.com\n',
    );
    writeFileSync(file, '# only a comment');
    upsertEnvFile(file, 'DDN_APIGW_ENDPOINT', 'a value with spaces');
    assert.equal(readFileSync(file, 'utf8'), '# only a comment\nDDN_APIGW_ENDPOINT="a value with spaces"\n');
    assert.equal(dotenv.parse(readFileSync(file)).DDN_APIGW_ENDPOINT, 'a value with spaces');
  });
});
