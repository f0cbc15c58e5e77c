import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { EdgeCredentials } from '../../src/state/credentials.ts';

export interface RunningPlatform {
  url: string;
  port: number;
  credentials: EdgeCredentials;
  /** Everything `ddn up` printed so far (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

/** A port that was free a moment ago (for processes that need the port before they start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Spawns `node bin/ddn.js up` with a temporary data dir and free ports; resolves when /_ddn/health is 200. */
export async function startDdnUp(deadlineMs = 120_000): Promise<RunningPlatform> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ddn-console-'));
  const port = await freePort();
  const credentials = { accessKeyId: `AKIACONSOLE${randomBytes(4).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
  const child: ChildProcess = spawn(process.execPath, ['bin/ddn.js', 'up'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      DDN_DATA_DIR: dataDir,
      DDN_EDGE_HOST: '127.0.0.1',
      DDN_EDGE_PORT: String(port),
      DDN_INFERENCE_HOST: '127.0.0.1',
      DDN_INFERENCE_PORT: String(await freePort()),
      DDN_LOCAL_ACCESS_KEY_ID: credentials.accessKeyId,
      DDN_LOCAL_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      DDN_LOG_LEVEL: process.env.DDN_TEST_LOG_LEVEL ?? 'warn',
      DDN_APIGW_ENDPOINT: '',
      DDN_PUBLIC_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`ddn up exited with ${child.exitCode}:\n${output}`);
    }
    const ok = await fetch(`${url}/_ddn/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() - started > deadlineMs) {
      await close();
      throw new Error(`ddn up did not become healthy in ${deadlineMs / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, credentials, output: () => output, close };
}
