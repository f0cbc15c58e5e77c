import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchPlan } from './launch.ts';
import { treeRssBytes } from './memory.ts';
import { RuntimeApiServer, type InvocationWaiter, type RuntimeApiHandler } from './runtime-api.ts';

/** The environments' own directories (one each). */
const ENVIRONMENTS_DIR = path.join(tmpdir(), 'ddn-lambda-environments');
/** Lambda's limit on the init phase of an on-demand environment. */
const INIT_TIMEOUT_MS = 10_000;
/** How often an environment's memory is measured against its MemorySize. */
const MEMORY_CHECK_MS = 100;
/** The log kept per invocation (its tail is what `--log-type Tail` returns). */
const MAX_LOG_CHARS = 1 << 20;

/** Everything an execution environment is started from. */
export interface EnvironmentSpec {
  runtime: string;
  taskRoot: string;
  /** The function's layers unpacked one over the other (Lambda's `/opt`); absent without layers. */
  optDir?: string;
  handler: string;
  /** The function's variables plus region, credentials and endpoint; those derived from this spec are added here. */
  env: Record<string, string>;
  memorySize: number;
  timeoutSeconds: number;
  functionName: string;
  functionVersion: string;
  functionArn: string;
  logGroupName: string;
  logStreamName: string;
  /** The edge's data directory: hidden from the function where the platform allows it. */
  dataDir?: string;
}

export interface Invocation {
  requestId: string;
  /** The event: JSON text, or an object of JSON values. */
  event: string | Record<string, unknown>;
  /** Decoded X-Amz-Client-Context (JSON text). */
  clientContext?: string;
  /** Its log is read (a tail was asked for): it holds this invocation's output and nothing of the next one's. */
  logWanted?: boolean;
}

export interface InvocationOutcome {
  /** The function's result, or the error object, as JSON text. */
  payload: string;
  failed: boolean;
  /** The function's log lines of this invocation (and of the init phase for the first one). */
  log: string;
  durationMs: number;
  /** The environment was started for this invocation. */
  coldStart: boolean;
}

/** What an invocation queued behind one that ended its environment (timeout, crash) resolves to: run it elsewhere. */
export const NOT_STARTED = Symbol('not started');

/** Invocations that may wait inside an environment behind the running one; the runtime takes them one by one. */
export const MAX_QUEUED = 7;

/** An ended invocation whose log may still take output: `closeLog` takes the log and resolves the invocation. */
interface OpenLog {
  pending: Pending;
  outcome: Omit<InvocationOutcome, 'log'>;
  wanted: boolean;
  closed: boolean;
  /** The log of the invocation before, closed first. */
  previous?: OpenLog;
}

interface Pending {
  invocation: Invocation;
  startedAt: number;
  resolve(outcome: InvocationOutcome | typeof NOT_STARTED): void;
}

/**
 * One execution environment: a child process running the function's runtime, which takes its invocations from
 * the Lambda Runtime API on the environment's own loopback listener. It has the function's environment variables
 * and nothing of the edge's, its own directory (working directory, HOME, TMPDIR), and MemorySize bounds everything
 * it holds (the resident memory of its process tree). A timeout, a crash or running out of memory ends the
 * environment (`dead`), never the edge; invocations queued in it then resolve to NOT_STARTED.
 */
export class ExecutionEnvironment implements RuntimeApiHandler {
  dead = false;
  private readonly api: RuntimeApiServer;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private workDir?: string;
  /** The runtime has asked for its first invocation: its init phase is over. */
  private initialized = false;
  private invoked = false;
  private initLog = '';
  private log: string[] = [];
  private logChars = 0;
  private current?: Pending;
  /** The log of the invocation that ended last, while its output may still be on its way (see `finish`). */
  private openLog?: OpenLog;
  private readonly queued: Pending[] = [];
  private waitingRuntime?: InvocationWaiter;
  private initTimer?: NodeJS.Timeout;
  /**
   * The running invocation's deadline: one timer, restarted for each invocation; when it fires with an invocation
   * running, that invocation started when the timer was restarted, the function's timeout ago.
   */
  private deadlineTimer?: NodeJS.Timeout;
  /** The invariable part of the Runtime API's trace header per second: `Root=1-<epoch seconds, hex>-`. */
  private traceSecond = 0;
  private tracePrefix = '';
  private memoryTimer?: NodeJS.Timeout;
  private heapExhausted = false;

  constructor(private readonly spec: EnvironmentSpec) {
    this.api = new RuntimeApiServer(this);
    this.initTimer = setTimeout(() => this.timeout(INIT_TIMEOUT_MS / 1000), INIT_TIMEOUT_MS);
    this.start().catch((err: Error) => this.die('Runtime.Unknown', `could not start the runtime: ${err.message}`));
  }

  /** Runs `invocation` now, or after those queued before it (at most MAX_QUEUED wait). */
  invoke(invocation: Invocation): Promise<InvocationOutcome | typeof NOT_STARTED> {
    if (this.dead || this.queued.length + (this.current ? 1 : 0) > MAX_QUEUED)
      throw new Error('execution environment is not available');
    return new Promise((resolve) => {
      this.queued.push({ invocation, startedAt: 0, resolve });
      const waiter = this.waitingRuntime;
      if (waiter && !this.current) {
        this.waitingRuntime = undefined;
        this.startNext(waiter);
      }
    });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    this.stop();
    await this.exited;
    if (this.workDir) await rm(this.workDir, { recursive: true, force: true });
  }

  // --- the Runtime API ------------------------------------------------------------------------------

  next(waiter: InvocationWaiter): void {
    if (this.dead) return;
    if (!this.initialized) {
      this.initialized = true;
      clearTimeout(this.initTimer);
      this.initLog = this.takeLog();
    }
    if (this.queued.length > 0 && !this.current) this.startNext(waiter);
    else this.waitingRuntime = waiter;
  }

  response(requestId: string, payload: string): boolean {
    if (this.current?.invocation.requestId !== requestId) return false;
    this.finish(payload, false);
    return true;
  }

  error(requestId: string, payload: string, errorType: string | undefined): boolean {
    if (this.current?.invocation.requestId !== requestId) return false;
    this.finish(errorPayload(payload, errorType), true);
    return true;
  }

  initError(payload: string, errorType: string | undefined): void {
    if (this.dead) return;
    const first = this.current ?? this.queued.shift();
    this.current = first;
    if (first) first.startedAt = Date.now();
    this.finish(errorPayload(payload, errorType), true);
    this.dead = true;
    this.stop();
  }

  // --- the process ----------------------------------------------------------------------------------

  private async start(): Promise<void> {
    const runtimeApi = await this.api.listen();
    await mkdir(ENVIRONMENTS_DIR, { recursive: true, mode: 0o700 });
    this.workDir = await mkdtemp(path.join(ENVIRONMENTS_DIR, 'env-'));
    const plan = await launchPlan({ ...this.spec, workDir: this.workDir });
    for (const note of plan.notes) this.append(`${note}\n`);
    if (this.dead) return;
    if (plan.error) {
      const { errorType, errorMessage } = plan.error;
      this.append(`${errorType}: ${errorMessage}\n`);
      return this.initError(JSON.stringify({ errorMessage, errorType }), errorType);
    }
    const child = spawn(plan.command, plan.args, {
      // Lambda's working directory is the task root (/var/task), read-only there as here but for unconfined runtimes.
      cwd: this.spec.taskRoot,
      env: {
        ...this.spec.env,
        ...lambdaVariables(this.spec),
        AWS_LAMBDA_RUNTIME_API: runtimeApi,
        HOME: this.workDir,
        TMPDIR: this.workDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that everything it starts ends with it.
      detached: true,
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdout.setEncoding('utf8').on('data', (text: string) => this.append(text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      if (text.includes('JavaScript heap out of memory')) this.heapExhausted = true;
      this.append(text);
    });
    child.once('error', (err) => this.die('Runtime.InvalidEntrypoint', err.message));
    child.once('exit', (code, signal) => {
      if (this.heapExhausted) return this.die('Runtime.OutOfMemory', 'signal: killed');
      this.die('Runtime.ExitError', signal ? `signal: ${signalName(signal)}` : `exit status ${code}`);
    });
    const limit = this.spec.memorySize * 1024 * 1024;
    this.memoryTimer = setInterval(() => {
      if (child.pid !== undefined && treeRssBytes(child.pid) > limit) this.die('Runtime.OutOfMemory', 'signal: killed');
    }, MEMORY_CHECK_MS);
    this.memoryTimer.unref();
  }

  /** Ends the process (and its group) and the listener; the environment takes nothing more. */
  private stop(): void {
    clearTimeout(this.initTimer);
    clearTimeout(this.deadlineTimer);
    clearInterval(this.memoryTimer);
    this.waitingRuntime = undefined;
    this.api.close();
    const pid = this.child?.pid;
    if (pid !== undefined && this.child!.exitCode === null && this.child!.signalCode === null) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        this.child!.kill('SIGKILL');
      }
    }
  }

  // --- invocations ----------------------------------------------------------------------------------

  /**
   * Hands the next queued invocation to the runtime. The log of the one before may still be open (see `finish`). When
   * either log is wanted, that log closes first, at the end of this turn, once the output the runtime wrote before its
   * result has been read, and the next invocation starts right after: none of its output is read into the log before.
   * Otherwise the next one starts at once, which keeps the runtime busy.
   */
  private startNext(waiter: InvocationWaiter): void {
    const open = this.openLog;
    if (!open || (!open.wanted && !this.queued[0].invocation.logWanted)) return this.dispatch(waiter);
    afterThisTurn(() => {
      this.closeLog(open);
      if (this.dead) return;
      if (this.queued.length > 0 && !this.current) this.dispatch(waiter);
      else this.waitingRuntime = waiter;
    });
  }

  private dispatch(waiter: InvocationWaiter): void {
    const pending = this.queued.shift()!;
    this.current = pending;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    pending.startedAt = Date.now();
    if (this.deadlineTimer) this.deadlineTimer.refresh();
    else {
      this.deadlineTimer = setTimeout(() => this.current && this.timeout(this.spec.timeoutSeconds), timeoutMs);
      // It stays armed after an invocation ends; what keeps the edge running is its listeners and sockets.
      this.deadlineTimer.unref();
    }
    const { requestId, event, clientContext } = pending.invocation;
    waiter.deliver({
      requestId,
      body: typeof event === 'string' ? event : JSON.stringify(event),
      deadlineMs: pending.startedAt + timeoutMs,
      functionArn: this.spec.functionArn,
      traceId: this.traceId(requestId, pending.startedAt),
      clientContext,
    });
  }

  /** An X-Ray trace header as Lambda hands it to the runtime (not sampled: nothing collects traces here). */
  private traceId(requestId: string, now: number): string {
    const second = Math.floor(now / 1000);
    if (second !== this.traceSecond) {
      this.traceSecond = second;
      this.tracePrefix = `Root=1-${second.toString(16)}-`;
    }
    // The request id's hex digits (a UUID's, 8-4-4-4-12): the root takes the first 24, the parent digits 17-32.
    const r = requestId;
    const hex =
      r.length === 36 && r[8] === '-' && r[23] === '-'
        ? r.slice(0, 8) + r.slice(9, 13) + r.slice(14, 18) + r.slice(19, 23) + r.slice(24)
        : r.replace(/-/g, '');
    return `${this.tracePrefix}${hex.slice(0, 24)};Parent=${hex.slice(16, 32)};Sampled=0`;
  }

  private timeout(seconds: number): void {
    if (this.dead) return;
    const timedOut = this.current ?? this.queued.shift();
    if (!timedOut) return void this.die('Runtime.Unknown', 'init timed out');
    this.current = timedOut;
    if (!timedOut.startedAt) timedOut.startedAt = Date.now();
    const { requestId } = timedOut.invocation;
    const text = `Task timed out after ${seconds.toFixed(2)} seconds`;
    this.append(`${new Date().toISOString()} ${requestId} ${text}\n`);
    this.dead = true;
    this.stop();
    this.finish(
      JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: ${text}` }),
      true,
    );
  }

  private die(errorType: string, reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.stop();
    // An environment that dies before its runtime took an invocation fails the first one waiting (its init failed).
    const failed = this.current ?? (this.initialized ? undefined : this.queued.shift());
    if (!failed) return this.finishQueued();
    this.current = failed;
    if (!failed.startedAt) failed.startedAt = Date.now();
    const message = `RequestId: ${failed.invocation.requestId} Error: Runtime exited with error: ${reason}`;
    this.append(`${message}\n${errorType}\n`);
    this.finish(JSON.stringify({ errorType, errorMessage: message }), true);
  }

  /**
   * Resolves the running invocation. The runtime writes its output before it posts the result, but that output comes
   * through other pipes, which the event loop may read after the result, in the same turn or, from a full pipe, in the
   * next. So the log stays open two turns, or, when the next invocation is due sooner and either log is wanted,
   * until the end of this turn (`startNext`).
   */
  private finish(payload: string, failed: boolean): void {
    const pending = this.current;
    if (!pending) return;
    this.current = undefined;
    const coldStart = !this.invoked;
    this.invoked = true;
    const log: OpenLog = {
      pending,
      outcome: { payload, failed, durationMs: Date.now() - pending.startedAt, coldStart },
      wanted: pending.invocation.logWanted ?? false,
      closed: false,
      previous: this.openLog,
    };
    this.openLog = log;
    afterTwoTurns(() => this.closeLog(log));
    if (this.dead) return;
    const waiter = this.waitingRuntime;
    if (waiter && this.queued.length > 0) {
      this.waitingRuntime = undefined;
      this.startNext(waiter);
    }
  }

  /** Takes an ended invocation's log (the init log too, for the first) and resolves it, once; earlier ones first. */
  private closeLog(log: OpenLog): void {
    if (log.closed) return;
    log.closed = true;
    if (log.previous) this.closeLog(log.previous);
    log.previous = undefined;
    if (this.openLog === log) this.openLog = undefined;
    const text = (log.outcome.coldStart ? this.initLog : '') + this.takeLog();
    log.pending.resolve({ ...log.outcome, log: text });
    if (this.dead) this.finishQueued();
  }

  /** The queued invocations of a dead environment run elsewhere. */
  private finishQueued(): void {
    for (const queued of this.queued.splice(0)) queued.resolve(NOT_STARTED);
  }

  private append(text: string): void {
    this.log.push(text);
    this.logChars += text.length;
    while (this.logChars > MAX_LOG_CHARS && this.log.length > 1) this.logChars -= this.log.shift()!.length;
  }

  private takeLog(): string {
    const text = this.log.join('');
    this.log = [];
    this.logChars = 0;
    return text;
  }
}

let thisTurn: Array<() => void> = [];
let firstTurn: Array<() => void> = [];
let secondTurn: Array<() => void> = [];
let turning = false;

/** Runs `callback` in this turn's check phase; the callbacks of every environment share one immediate per turn. */
function afterThisTurn(callback: () => void): void {
  thisTurn.push(callback);
  keepTurning();
}

/** Runs `callback` two event-loop turns from now. */
function afterTwoTurns(callback: () => void): void {
  firstTurn.push(callback);
  keepTurning();
}

function keepTurning(): void {
  if (turning) return;
  turning = true;
  setImmediate(turn);
}

function turn(): void {
  const now = thisTurn;
  const ready = secondTurn;
  thisTurn = [];
  secondTurn = firstTurn;
  firstTurn = [];
  turning = false;
  try {
    for (const callback of now) callback();
    for (const callback of ready) callback();
  } finally {
    if (thisTurn.length > 0 || secondTurn.length > 0 || firstTurn.length > 0) keepTurning();
  }
}

/** The variables Lambda defines from the function's configuration. */
function lambdaVariables(spec: EnvironmentSpec): Record<string, string> {
  return {
    _HANDLER: spec.handler,
    LAMBDA_TASK_ROOT: spec.taskRoot,
    AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: spec.functionVersion,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: spec.logStreamName,
  };
}

/** The error object of a failed invocation: the runtime's own when it sent JSON, else one made from its text. */
function errorPayload(body: string, errorType: string | undefined): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return body;
  } catch {
    // not JSON: wrapped below
  }
  return JSON.stringify({ errorMessage: body, errorType: errorType ?? 'Unhandled' });
}

function signalName(signal: NodeJS.Signals): string {
  return signal === 'SIGKILL' ? 'killed' : signal.replace(/^SIG/, '').toLowerCase();
}
