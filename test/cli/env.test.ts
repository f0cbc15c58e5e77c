import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDdn } from '../helpers/ddn-up.ts';

test('ddn env with no edge data and no configured keys fails with a hint and creates no state', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ddn-env-'));
  try {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!/^(AWS_|DDN_)/.test(name)) env[name] = value;
    const result = await runDdn(['env'], cwd, env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no edge credentials in .*\.ddn: start the edge there with 'ddn up'/);
    assert.equal(result.stdout, '');
    assert.deepEqual(readdirSync(cwd), []);
    const configured = await runDdn(['env'], cwd, {
      ...env,
      DDN_LOCAL_ACCESS_KEY_ID: 'AKIAENVTEST',
      DDN_LOCAL_SECRET_ACCESS_KEY: 's3cret',
    });
    assert.equal(configured.code, 0);
    assert.match(configured.stdout, /^export AWS_ACCESS_KEY_ID=AKIAENVTEST$/m);
    assert.deepEqual(readdirSync(cwd), []);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
