// A data dir written before each qualifier had its own policy: its statements keep their qualifiers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, openStateDatabase } from '../../src/state/database.ts';
import { LAMBDA_MIGRATIONS, LambdaMetadata } from '../../src/state/lambda-metadata.ts';

test('statements stored with one policy per function move to the policy their Resource names', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-policy-migration-'));
  const db = openStateDatabase(dir);
  try {
    migrate(db, 'lambda', LAMBDA_MIGRATIONS.slice(0, -1));
    db.prepare(
      `INSERT INTO lambda_functions (name, settings, code_blob, code_sha256, code_size, revision_id, last_modified)
       VALUES ('fn', '{}', 'blob', 'sha', 1, 'r1', '2026-01-01T00:00:00.000+0000')`,
    ).run();
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:fn';
    const insert = db.prepare(
      'INSERT INTO lambda_policy_statements (function_name, sid, statement, position) VALUES (?, ?, ?, ?)',
    );
    insert.run('fn', 'whole', JSON.stringify({ Sid: 'whole', Resource: arn }), 1);
    insert.run('fn', 'alias', JSON.stringify({ Sid: 'alias', Resource: `${arn}:live` }), 2);
    insert.run('fn', 'version', JSON.stringify({ Sid: 'version', Resource: `${arn}:3` }), 3);
    insert.run('fn', 'garbled', 'not JSON', 4);

    const metadata = new LambdaMetadata(db);
    assert.deepEqual(
      metadata.statements('fn').map((s) => s.sid),
      ['whole', 'alias', 'version', 'garbled'],
    );
    assert.deepEqual(db.prepare('SELECT qualifier FROM lambda_policy_statements ORDER BY position').pluck().all(), [
      '',
      'live',
      '3',
      '',
    ]);
    // Each sid is taken in its own policy only.
    assert.equal(metadata.addStatement('fn', 'live', 'alias', '{}', 'r2'), false);
    assert.equal(metadata.addStatement('fn', '', 'alias', '{}', 'r3'), true);
    assert.equal(metadata.removeStatement('fn', '', 'version', 'r4'), false);
    assert.equal(metadata.removeStatement('fn', '3', 'version', 'r5'), true);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
