import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/cli/free-port.ts';
import { startDdnUp } from '../helpers/ddn-up.ts';

interface Health {
  status: string;
  services: { inference: { ready: boolean; pid?: number; error?: string } };
}

async function health(edgeUrl: string): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${edgeUrl}/_ddn/health`);
  return { status: res.status, body: (await res.json()) as Health };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls `check` until it holds; fails naming `what` after `ms` (a hang, not a slow machine). */
async function eventually(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what}: not after ${ms} ms`);
    await sleep(100);
  }
}

test('kill -9 of ddn up takes its inference server with it; a restart on the same ports and data comes up healthy', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ddn-own-'));
  const vars = { DDN_INFERENCE_PORT: String(await freePort('127.0.0.1')) };
  const first = await startDdnUp({ cwd, vars });
  const child = (await health(first.edgeUrl)).body.services.inference.pid!;
  assert.ok(alive(child));
  assert.equal(readFileSync(path.join(first.dataDir, 'inference.pid'), 'utf8').trim(), String(child));
  process.kill(first.pid, 'SIGKILL');
  await first.exited;
  await eventually(() => !alive(child), 30_000, 'the orphaned inference server exiting');

  const second = await startDdnUp({ cwd, vars });
  try {
    const after = await health(second.edgeUrl);
    assert.equal(after.status, 200);
    assert.notEqual(after.body.services.inference.pid, child);
  } finally {
    await second.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('a stale inference server recorded in the data dir is stopped before a new one starts on its port', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ddn-own-'));
  const dataDir = path.join(cwd, '.ddn');
  const port = await freePort('127.0.0.1');
  // An inference server that does not watch any parent, holding the port: what an older ddn left behind.
  const stale = spawn(process.execPath, ['--import', 'tsx', 'src/inference/main.ts'], {
    env: { ...process.env, DDN_INFERENCE_HOST: '127.0.0.1', DDN_INFERENCE_PORT: String(port), DDN_LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  const staleExited = new Promise<void>((resolve) => stale.once('exit', () => resolve()));
  await eventually(
    () =>
      fetch(`http://127.0.0.1:${port}/ping`).then(
        (r) => r.status === 200,
        () => false,
      ),
    60_000,
    'the stale server answering',
  );
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, 'inference.pid'), `${stale.pid}\n`);
  const up = await startDdnUp({ cwd, vars: { DDN_INFERENCE_PORT: String(port) } });
  try {
    await staleExited;
    const now = await health(up.edgeUrl);
    assert.equal(now.status, 200);
    assert.notEqual(now.body.services.inference.pid, stale.pid);
  } finally {
    if (stale.exitCode === null && stale.signalCode === null) stale.kill('SIGKILL');
    await up.stop();
  }
});

test('health reports an inference server that stopped answering, and its recovery', async () => {
  const up = await startDdnUp();
  try {
    const child = (await health(up.edgeUrl)).body.services.inference.pid!;
    process.kill(child, 'SIGSTOP');
    try {
      await eventually(async () => (await health(up.edgeUrl)).status === 503, 30_000, 'health turning 503');
      const down = await health(up.edgeUrl);
      assert.equal(down.body.services.inference.ready, false);
      assert.match(down.body.services.inference.error!, /^\/ping: /);
    } finally {
      process.kill(child, 'SIGCONT');
    }
    await eventually(async () => (await health(up.edgeUrl)).status === 200, 30_000, 'health back to 200');
  } finally {
    await up.stop(true);
  }
  assert.equal(existsSync(path.join(up.dataDir, 'inference.pid')), false);
  rmSync(up.cwd, { recursive: true, force: true });
});
