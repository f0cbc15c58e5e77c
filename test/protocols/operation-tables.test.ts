import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('the committed operation tables are what scripts/gen-operation-tables.mjs makes from the installed botocore', async () => {
  const result = await run(process.execPath, ['scripts/gen-operation-tables.mjs', '--check']).catch(
    (err: { stderr: string }) => assert.fail(`regenerate with node scripts/gen-operation-tables.mjs:\n${err.stderr}`),
  );
  assert.equal(result.stderr, '');
});
