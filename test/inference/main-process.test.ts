import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

test('src/inference/main.ts runs as its own process from environment variables and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/inference/main.ts'], {
    env: {
      ...process.env,
      DDN_INFERENCE_PORT: '0',
      DDN_INFERENCE_HOST: '127.0.0.1',
      DDN_LOG_LEVEL: 'info',
      AWS_REGION: 'us-east-1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: string) => {
      log += chunk;
      const match = /"url":"(http:\/\/[^"]+)"/.exec(log);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${log}`)));
  });
  let status = 0;
  while (status !== 200) {
    status = (await fetch(`${url}/ping`)).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

test('an invalid DDN_INFERENCE_PORT stops it with exit code 2 naming the variable', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/inference/main.ts'], {
    env: { ...process.env, DDN_INFERENCE_PORT: 'abc' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(err, /DDN_INFERENCE_PORT/);
});
