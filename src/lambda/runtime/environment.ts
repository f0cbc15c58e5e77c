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
  /** The event: JSON text, or an object of JSON values (cloned into the worker as it is). */
  event: string | Record<string, unknown>;
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

/**
 * Invocations that may wait inside an environment behind the running one. They are posted at once, so the worker
 * runs them back to back without a round trip through this thread (busy serving requests under load) each time.
 */
export const MAX_QUEUED = 7;

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
 * from its memory size. It runs the init code once, then one invocation at a time. Up to MAX_QUEUED more may be
 * queued behind the running one: they are posted at once and start in the worker, in order, as soon as the one
 * before ends, without waiting for this thread (which, under load, is busy serving requests). A timeout, a crash or
 * running out of memory ends the environment (`dead`), never the edge; the queued invocations then resolve to
 * NOT_STARTED. The worker posts each result before starting the next invocation, and only starts it well before the
 * previous one's deadline (else it hands it and every later one back); the timeout handler drains posted results
 * first, so a queued invocation never runs twice.
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
  private readonly queued: Pending[] = [];
  /** Invocations to post, sent together once this turn of the event loop has handled its I/O (see `post`). */
  private outbox: object[] = [];

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
    // Results that arrived together are taken in one go: a 'message' event per result costs more than the result.
    this.results.on('message', (m: WorkerMessage) => {
      this.onMessage(m);
      this.drainResults();
    });
    this.results.unref();
    this.worker.on('error', (err: Error & { code?: string }) => {
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.die(oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError', oom ? 'signal: killed' : `${err.name}: ${err.message}`);
    });
    this.worker.on('exit', (code) => this.die('Runtime.ExitError', `exit status ${code}`));
  }

  /** Runs `invocation` now, or after those queued before it (at most MAX_QUEUED wait). */
  invoke(invocation: Invocation): Promise<InvocationOutcome | typeof NOT_STARTED> {
    if (this.dead || this.queued.length >= MAX_QUEUED) throw new Error('execution environment is not available');
    return new Promise((resolve) => {
      if (this.pending) {
        const queued: Pending = { invocation, startedAt: 0, resolve };
        this.queued.push(queued);
        if (this.initialized) this.post(queued);
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
      for (const queued of this.queued) this.post(queued);
    } else if (message.type === 'init-error') {
      this.initLog = message.log;
      this.dead = true;
      this.finish({ ...message.error }, true, '');
      void this.terminate();
    } else if (message.type === 'result' && this.pending?.invocation.requestId === message.requestId) {
      this.finish(message.payload, !message.ok, message.log);
    } else if (message.type === 'held') {
      if (this.pending?.invocation.requestId === message.requestId && !this.dead) this.post(this.pending);
      else {
        const queued = this.queued.find((q) => q.invocation.requestId === message.requestId);
        if (queued) queued.held = true;
      }
    }
  }

  /**
   * Posts an invocation. Posts made while one turn of the event loop handles its requests go in one message: each
   * message may wake the worker thread, and a wake-up costs far more than the message.
   */
  private post({ invocation, startedAt }: Pending): void {
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const deadline = startedAt > 0 ? startedAt + timeoutMs : undefined;
    this.outbox.push({ requestId: invocation.requestId, event: invocation.event, timeoutMs, deadline, clientContext: invocation.clientContext });
    if (this.outbox.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const invocations = this.outbox;
    this.outbox = [];
    if (!this.dead) this.worker.postMessage({ type: 'invoke', invocations });
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
    if (this.dead) {
      for (const queued of this.queued.splice(0)) queued.resolve(NOT_STARTED);
      return;
    }
    const next = this.queued.shift();
    if (!next) return;
    // The worker has started it already, right after the result it just sent, unless it handed it back.
    next.startedAt = now;
    next.timer = setTimeout(() => this.timeout(), this.spec.timeoutSeconds * 1000);
    this.pending = next;
    if (next.held) this.post(next);
  }
}
