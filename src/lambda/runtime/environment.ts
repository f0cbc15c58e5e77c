import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

const BOOTSTRAP = new URL('./bootstrap.mjs', import.meta.url);
/** Lambda's limit on the init phase of an on-demand environment. */
const INIT_TIMEOUT_MS = 10_000;

/** Everything an execution environment is started from. */
export interface EnvironmentSpec {
  taskRoot: string;
  handler: string;
  /** The complete environment of the function: its variables plus those Lambda defines. */
  env: Record<string, string>;
  memorySize: number;
  timeoutSeconds: number;
  functionName: string;
  functionVersion: string;
  functionArn: string;
  logGroupName: string;
  logStreamName: string;
}

export interface Invocation {
  requestId: string;
  /** The event, as JSON text. */
  event: string;
  /** Decoded X-Amz-Client-Context (JSON text). */
  clientContext?: string;
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

type WorkerMessage =
  | { type: 'ready'; log: string }
  | { type: 'init-error'; error: object; log: string }
  | { type: 'result'; requestId: string; ok: boolean; payload: string; log: string }
  /** The running invocation ended too close to its deadline for the worker to start the queued one on its own. */
  | { type: 'held'; requestId: string };

/** What an invocation queued behind one that ended its environment (timeout, crash) resolves to: run it elsewhere. */
export const NOT_STARTED = Symbol('not started');

interface Pending {
  invocation: Invocation;
  startedAt: number;
  timer?: NodeJS.Timeout;
  /** The worker handed this queued invocation back: post it again once it is the running one. */
  held?: boolean;
  resolve(outcome: InvocationOutcome | typeof NOT_STARTED): void;
}

/**
 * One execution environment: a worker thread with the function's own environment variables and a heap limit
 * from its memory size. It runs the init code once, then one invocation at a time. One more invocation may be
 * queued behind the running one: it is posted at once and starts in the worker as soon as the running one ends,
 * without waiting for this thread (which, under load, is busy serving requests). A timeout, a crash or running
 * out of memory ends the environment (`dead`), never the edge; the queued invocation then resolves to NOT_STARTED.
 * The worker posts each result before starting the queued invocation, and only does so well before the running
 * one's deadline; the timeout handler drains posted results first, so a queued invocation never runs twice.
 */
export class ExecutionEnvironment {
  dead = false;
  private readonly worker: Worker;
  /** The worker's messages come through this port so that they can be drained synchronously. */
  private readonly results: MessagePort;
  private initialized = false;
  private invoked = false;
  private initLog = '';
  private pending?: Pending;
  private queued?: Pending;

  constructor(private readonly spec: EnvironmentSpec) {
    const channel = new MessageChannel();
    this.results = channel.port1;
    this.worker = new Worker(BOOTSTRAP, {
      transferList: [channel.port2],
      workerData: {
        results: channel.port2,
        taskRoot: spec.taskRoot,
        handler: spec.handler,
        functionName: spec.functionName,
        functionVersion: spec.functionVersion,
        functionArn: spec.functionArn,
        memorySize: spec.memorySize,
        logGroupName: spec.logGroupName,
        logStreamName: spec.logStreamName,
      },
      env: spec.env,
      execArgv: [],
      argv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: spec.memorySize, maxYoungGenerationSizeMb: Math.max(4, Math.min(32, spec.memorySize >> 3)) },
    });
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.results.on('message', (m: WorkerMessage) => this.onMessage(m));
    this.results.unref();
    this.worker.on('error', (err: Error & { code?: string }) => {
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.die(oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError', oom ? 'signal: killed' : `${err.name}: ${err.message}`);
    });
    this.worker.on('exit', (code) => this.die('Runtime.ExitError', `exit status ${code}`));
  }

  /** Runs `invocation` now, or after the running one when there is one (at most one waits). */
  invoke(invocation: Invocation): Promise<InvocationOutcome | typeof NOT_STARTED> {
    if (this.dead || this.queued) throw new Error('execution environment is not available');
    return new Promise((resolve) => {
      if (this.pending) {
        this.queued = { invocation, startedAt: 0, resolve };
        if (this.initialized) this.post(this.queued);
        return;
      }
      // The init phase has its own limit; the function's timeout starts when the handler is called.
      const timer = setTimeout(() => this.timeout(), this.initialized ? this.spec.timeoutSeconds * 1000 : INIT_TIMEOUT_MS);
      this.pending = { invocation, startedAt: Date.now(), timer, resolve };
      if (this.initialized) this.post(this.pending);
    });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
    this.results.close();
  }

  /** Handles the messages the worker has posted but this thread has not seen yet. */
  private drainResults(): void {
    for (let m = receiveMessageOnPort(this.results); m; m = receiveMessageOnPort(this.results)) this.onMessage(m.message as WorkerMessage);
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === 'ready') {
      this.initialized = true;
      this.initLog = message.log;
      if (this.pending) {
        clearTimeout(this.pending.timer);
        this.pending.startedAt = Date.now();
        this.pending.timer = setTimeout(() => this.timeout(), this.spec.timeoutSeconds * 1000);
        this.post(this.pending);
      }
      if (this.queued) this.post(this.queued);
    } else if (message.type === 'init-error') {
      this.initLog = message.log;
      this.dead = true;
      this.finish({ ...message.error }, true, '');
      void this.terminate();
    } else if (message.type === 'result' && this.pending?.invocation.requestId === message.requestId) {
      this.finish(message.payload, !message.ok, message.log);
    } else if (message.type === 'held') {
      if (this.pending?.invocation.requestId === message.requestId && !this.dead) this.post(this.pending);
      else if (this.queued?.invocation.requestId === message.requestId) this.queued.held = true;
    }
  }

  private post({ invocation, startedAt }: Pending): void {
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const deadline = startedAt > 0 ? startedAt + timeoutMs : undefined;
    this.worker.postMessage({ type: 'invoke', requestId: invocation.requestId, event: invocation.event, timeoutMs, deadline, clientContext: invocation.clientContext });
  }

  private timeout(): void {
    const timedOut = this.pending;
    this.drainResults();
    if (!timedOut || this.pending !== timedOut) return;
    const seconds = this.spec.timeoutSeconds.toFixed(2);
    const { requestId } = this.pending.invocation;
    const error = { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds` };
    this.dead = true;
    this.finish(error, true, `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds\n`);
    void this.terminate();
  }

  private die(errorType: string, reason: string): void {
    if (!this.dead) this.drainResults();
    this.dead = true;
    if (!this.pending) return;
    const { requestId } = this.pending.invocation;
    const error = { errorType, errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${reason}` };
    this.finish(error, true, `RequestId: ${requestId} Error: Runtime exited with error: ${reason}\n${errorType}\n`);
  }

  private finish(payload: string | object, failed: boolean, log: string): void {
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    const coldStart = !this.invoked;
    this.invoked = true;
    const fullLog = (coldStart ? this.initLog : '') + log;
    const now = Date.now();
    pending.resolve({
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      failed,
      log: fullLog,
      durationMs: now - pending.startedAt,
      coldStart,
    });
    const next = this.queued;
    this.queued = undefined;
    if (!next) return;
    if (this.dead) return next.resolve(NOT_STARTED);
    // The worker has started it already, right after the result it just sent, unless it handed it back.
    next.startedAt = now;
    next.timer = setTimeout(() => this.timeout(), this.spec.timeoutSeconds * 1000);
    this.pending = next;
    if (next.held) this.post(next);
  }
}
