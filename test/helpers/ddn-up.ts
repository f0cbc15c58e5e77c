import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { EdgeCredentials } from '../../src/state/credentials.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DDN = path.join(REPO, 'bin', 'ddn.js');

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface DdnUp {
  /** The working directory of `ddn up` and of `run` (its `.env` is the one `ddn up` writes). */
  cwd: string;
  dataDir: string;
  edgeUrl: string;
  inferenceUrl: string;
  apiEndpoint: string;
  credentials: EdgeCredentials;
  /** Environment that makes another ddn command talk to this instance. */
  env: NodeJS.ProcessEnv;
  /** Everything `ddn up` printed on stdout so far. */
  stdout(): string;
  /** The pid of the `ddn up` process. */
  pid: number;
  /** Resolves with its exit code (null after a signal) once it has exited. */
  exited: Promise<number | null>;
  /** Runs `ddn ARGS...` in `cwd` against this instance. */
  run(args: string[], extraEnv?: Record<string, string>): Promise<CommandResult>;
  /** SIGTERM, wait for the exit; removes the directories unless `keep`. */
  stop(keep?: boolean): Promise<number | null>;
}

/** Starts `node bin/ddn.js up` with free ports in a temporary working directory, and waits until it says it is up. */
export async function startDdnUp(
  options: { cwd?: string; dataDir?: string; credentials?: EdgeCredentials; vars?: Record<string, string> } = {},
): Promise<DdnUp> {
  const cwd = options.cwd ?? mkdtempSync(path.join(tmpdir(), 'ddn-up-cwd-'));
  const dataDir = options.dataDir ?? path.join(cwd, '.ddn');
  const credentials = options.credentials ?? {
    accessKeyId: `AKIAUP${randomBytes(7).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  const env = isolatedEnv({
    DDN_DATA_DIR: dataDir,
    DDN_EDGE_HOST: '127.0.0.1',
    DDN_EDGE_PORT: '0',
    DDN_INFERENCE_HOST: '127.0.0.1',
    DDN_INFERENCE_PORT: '0',
    DDN_LOG_LEVEL: process.env.DDN_TEST_LOG_LEVEL ?? 'warn',
    DDN_LOCAL_ACCESS_KEY_ID: credentials.accessKeyId,
    DDN_LOCAL_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...options.vars,
  });
  const child = spawn(process.execPath, [DDN, 'up'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  await new Promise<void>((resolve, reject) => {
    const check = () => stdout.includes('Press Ctrl-C') && (cleanup(), resolve());
    const onExit = (code: number | null) => (
      cleanup(),
      reject(new Error(`ddn up exited with ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`))
    );
    const cleanup = () => (child.stdout.off('data', check), child.off('exit', onExit));
    child.stdout.on('data', check);
    child.once('exit', onExit);
  });

  const field = (label: string) => {
    const match = new RegExp(`^\\s+${label}\\s+(\\S+)`, 'm').exec(stdout);
    if (!match) throw new Error(`ddn up did not print its ${label}:\n${stdout}`);
    return match[1];
  };
  const edgeUrl = field('edge');
  const inferenceUrl = field('inference');
  const runEnv = { ...env, DDN_EDGE_PORT: new URL(edgeUrl).port, DDN_INFERENCE_PORT: new URL(inferenceUrl).port };
  return {
    cwd,
    dataDir,
    edgeUrl,
    inferenceUrl,
    apiEndpoint: field('API endpoint'),
    credentials,
    env: runEnv,
    stdout: () => stdout,
    pid: child.pid!,
    exited,
    run: (args, extraEnv = {}) => runDdn(args, cwd, { ...runEnv, ...extraEnv }),
    async stop(keep = false) {
      const code = await stopChild(child, exited);
      if (!keep) rmSync(cwd, { recursive: true, force: true });
      if (!keep && options.dataDir) rmSync(options.dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Runs `node bin/ddn.js ARGS...` and collects its output. */
export function runDdn(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DDN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** The test's environment without anything that would point ddn or the SDK at a real account. */
function isolatedEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(AWS_|DDN_)/.test(name)) env[name] = value;
  return {
    ...env,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...vars,
  };
}
