import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestEdge } from '../helpers/edge.ts';

const execFileAsync = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./fixtures/original_role_calls.py', import.meta.url));

test("boto3: the original scripts' role calls; the role and its policies survive a restart of the edge", async () => {
  let edge = await startTestEdge();
  const { dataDir, credentials } = edge;
  const run = async (step: string): Promise<Record<string, unknown>> =>
    JSON.parse((await execFileAsync('python3', [SCRIPT, step], { env: edge.env })).stdout) as Record<string, unknown>;
  try {
    const created = await run('create');
    assert.deepEqual(created, {
      arn: 'arn:aws:iam::000000000000:role/ddn-presign-lambda-role',
      trust_is_dict: true,
      duplicate: ['EntityAlreadyExists', 409],
    });
    await edge.close(false);
    edge = await startTestEdge({
      DDN_DATA_DIR: dataDir,
      DDN_LOCAL_ACCESS_KEY_ID: credentials.accessKeyId,
      DDN_LOCAL_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    });
    assert.deepEqual(await run('teardown'), {
      arn: 'arn:aws:iam::000000000000:role/ddn-presign-lambda-role',
      description: 'presign',
      trust_is_dict: true,
      attached: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      inline: ['buckets'],
      gone: ['NoSuchEntity', 404],
    });
  } finally {
    await edge.close();
  }
});
