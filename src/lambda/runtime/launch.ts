import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_BOOTSTRAP = fileURLToPath(new URL('./node/bootstrap.mjs', import.meta.url));
const PYTHON_BOOTSTRAP = fileURLToPath(new URL('./python/bootstrap.py', import.meta.url));

export const NODE_RUNTIMES = ['nodejs18.x', 'nodejs20.x', 'nodejs22.x'] as const;
export const PYTHON_RUNTIMES = ['python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13'] as const;
export const PROVIDED_RUNTIMES = ['provided.al2023', 'provided.al2'] as const;
/** Every runtime an execution environment can run. */
export const SUPPORTED_RUNTIMES: readonly string[] = [...NODE_RUNTIMES, ...PYTHON_RUNTIMES, ...PROVIDED_RUNTIMES];

/** What an environment's process is started from. */
export interface LaunchSpec {
  runtime: string;
  taskRoot: string;
  /** The function's layers (Lambda's `/opt`), readable by the function. */
  optDir?: string;
  memorySize: number;
  /**
   * The environment's own directory: its working directory, HOME and TMPDIR, the only place it may write. Its parent
   * holds the other environments' directories (hidden from it).
   */
  workDir: string;
  /** The edge's data directory, hidden from the function where the platform allows it. */
  dataDir?: string;
}

export interface LaunchPlan {
  command: string;
  args: string[];
  /** Lines for the function's log about how it runs (an interpreter stand-in, a missing sandbox). */
  notes: string[];
  /** The runtime cannot start at all: the invocation fails with this error. */
  error?: { errorType: string; errorMessage: string };
}

/** How to start an environment of `spec.runtime`. */
export async function launchPlan(spec: LaunchSpec): Promise<LaunchPlan> {
  if (spec.runtime.startsWith('nodejs')) return nodePlan(spec);
  const notes: string[] = [];
  let command: string;
  let args: string[];
  if (spec.runtime.startsWith('python')) {
    const interpreter = await pythonInterpreter(spec.runtime);
    if (!interpreter) {
      return {
        command: '',
        args: [],
        notes,
        error: {
          errorType: 'Runtime.InvalidEntrypoint',
          errorMessage: `Neither ${spec.runtime} nor python3 is on the edge's PATH`,
        },
      };
    }
    if (interpreter.name !== spec.runtime) {
      notes.push(
        `ddn: ${spec.runtime} is not on the edge's PATH; running the function with python3 (${interpreter.executable})`,
      );
    }
    command = interpreter.executable;
    args = ['-u', PYTHON_BOOTSTRAP];
  } else {
    // As on Lambda: the function's own bootstrap, else one from its layers.
    const candidates = [spec.taskRoot, spec.optDir].flatMap((dir) => (dir ? [path.join(dir, 'bootstrap')] : []));
    const bootstrap = candidates.find(isExecutableFile);
    if (!bootstrap) {
      const errorMessage = `Couldn't find valid bootstrap(s): [${candidates.join(' ')}]`;
      return { command: '', args: [], notes, error: { errorType: 'Runtime.InvalidEntrypoint', errorMessage } };
    }
    command = bootstrap;
    args = [];
  }
  const sandbox = await bubblewrap();
  if (!sandbox) {
    notes.push('ddn: bubblewrap (bwrap) is not available: the function runs without a filesystem sandbox');
    return { command, args, notes };
  }
  return { command: sandbox, args: [...bubblewrapArgs(spec), command, ...args], notes };
}

/**
 * Node functions run under Node's permission model: they read their code, the bootstrap and their own directory,
 * write only there, and may start no process or worker. The heap is sized as Lambda's Node.js bootstrap sizes it: a
 * tenth of MemorySize for the young generation (two semi-spaces), the rest for the old one. Without the young
 * generation's bound, a busy function's heap on Node 24 grows to about MemorySize, and the memory watch, which counts
 * everything the process holds, would end it.
 */
function nodePlan(spec: LaunchSpec): LaunchPlan {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const permission = major > 22 || (major === 22 && minor >= 13) ? '--permission' : '--experimental-permission';
  const readable = [NODE_BOOTSTRAP, path.dirname(spec.taskRoot), spec.workDir];
  // The layers' directory and, as for the code, the `{}` package.json above it.
  if (spec.optDir) readable.push(path.dirname(spec.optDir));
  const newSpace = Math.floor(spec.memorySize / 10);
  return {
    command: process.execPath,
    args: [
      `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
      `--max-old-space-size=${spec.memorySize - newSpace}`,
      permission,
      '--disable-warning=ExperimentalWarning',
      ...readable.map((p) => `--allow-fs-read=${p}`),
      `--allow-fs-write=${spec.workDir}`,
      NODE_BOOTSTRAP,
    ],
    notes: [],
  };
}

/**
 * A read-only view of the machine without the other environments' directories, no data directory but the
 * function's own code, the environment's directory writable, its own PID namespace (no other process of the edge's user is visible),
 * and its end tied to the edge's.
 */
function bubblewrapArgs(spec: LaunchSpec): string[] {
  const args = [
    '--die-with-parent',
    '--unshare-pid',
    '--unshare-ipc',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
  ];
  args.push('--tmpfs', path.dirname(spec.workDir));
  if (spec.dataDir) args.push('--tmpfs', spec.dataDir);
  if (spec.optDir) args.push('--ro-bind', spec.optDir, spec.optDir);
  args.push(
    '--ro-bind',
    spec.taskRoot,
    spec.taskRoot,
    '--bind',
    spec.workDir,
    spec.workDir,
    '--chdir',
    spec.taskRoot,
    '--',
  );
  return args;
}

function isExecutableFile(file: string): boolean {
  try {
    return statSync(file).isFile() && (statSync(file).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Answers per process: a probe per command and PATH, run once. */
const probes = new Map<string, Promise<string | undefined>>();

/** Runs `command args` from the edge's PATH once; resolves to its output, or undefined when it failed. */
function probe(command: string, args: string[]): Promise<string | undefined> {
  const key = `${process.env.PATH ?? ''}\0${command}\0${args.join(' ')}`;
  let answer = probes.get(key);
  if (!answer) {
    answer = new Promise((resolve) =>
      execFile(command, args, { timeout: 10_000 }, (err, stdout) => resolve(err ? undefined : stdout.trim())),
    );
    probes.set(key, answer);
  }
  return answer;
}

/**
 * `python3.X` when it runs from the edge's PATH, else `python3`; as the interpreter's own path (sys.executable), so
 * that the function's scrubbed PATH and wrappers such as pyenv's shims do not matter.
 */
async function pythonInterpreter(runtime: string): Promise<{ name: string; executable: string } | undefined> {
  for (const name of [runtime, 'python3']) {
    const executable = await probe(name, ['-c', 'import sys; print(sys.executable)']);
    if (executable) return { name, executable };
  }
  return undefined;
}

/** The bwrap command when it is installed and works here (it needs unprivileged user namespaces). */
async function bubblewrap(): Promise<string | undefined> {
  const command = ['/usr/bin/bwrap', '/usr/local/bin/bwrap'].find((c) => existsSync(c)) ?? 'bwrap';
  const works = await probe(command, ['--ro-bind', '/', '/', '--unshare-pid', '--proc', '/proc', '--', 'true']);
  return works === undefined ? undefined : command;
}
