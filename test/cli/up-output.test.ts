import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DDN = fileURLToPath(new URL('../../bin/ddn.js', import.meta.url));

interface UpOutput {
  stdout: string;
  stderr: string;
}

/** Runs `ddn up ARGS` (through `script` for a terminal) until `done(stdout)` holds, then stops its process group. */
async function upUntil(args: string[], terminal: boolean, done: (stdout: string) => boolean): Promise<UpOutput> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ddn-up-output-'));
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|DDN_)/.test(name))),
    DDN_DATA_DIR: path.join(cwd, '.ddn'),
    DDN_EDGE_PORT: '0',
    DDN_INFERENCE_PORT: '0',
    DDN_LOG_LEVEL: 'info',
  };
  const command = terminal
    ? ['script', ['-qefc', [process.execPath, DDN, 'up', ...args].join(' '), '/dev/null']]
    : [process.execPath, [DDN, 'up', ...args]];
  const child = spawn(command[0] as string, command[1] as string[], {
    cwd,
    env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output: UpOutput = { stdout: '', stderr: '' };
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        output.stdout += d.toString();
        if (done(output.stdout)) resolve();
      });
      child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()));
      child.once('exit', (code) => reject(new Error(`ddn up exited with ${code}\n${output.stdout}\n${output.stderr}`)));
    });
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    rmSync(cwd, { recursive: true, force: true });
  }
  return output;
}

test('ddn up without a terminal: log lines on stderr are JSON', async () => {
  const { stderr } = await upUntil([], false, (out) => out.includes('Press Ctrl-C'));
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  assert.ok(
    lines.some((line) => line.includes('inference server starting')),
    stderr,
  );
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON line: ${line}`);
});

test('ddn up --json: the endpoints as one JSON object on stdout', async () => {
  const { stdout } = await upUntil(['--json'], false, (out) => out.trimEnd().endsWith('}'));
  const up = JSON.parse(stdout) as Record<string, string>;
  assert.match(up.apiEndpoint, /\/_aws\/execute-api\/[a-z0-9]+$/);
  assert.match(up.health, /\/_ddn\/health$/);
});

test('ddn up on a terminal: human-readable log lines, no JSON', async () => {
  const { stdout } = await upUntil([], true, (out) => out.includes('Press Ctrl-C'));
  const lines = stdout.split(/\r?\n/);
  assert.ok(
    lines.some((line) => /INFO.*inference server starting/.test(line)),
    stdout,
  );
  assert.ok(
    lines.some((line) => /INFO.*inference server listening/.test(line)),
    `the child's lines are pretty too:\n${stdout}`,
  );
  assert.equal(lines.filter((line) => line.startsWith('{')).length, 0, stdout);
});
