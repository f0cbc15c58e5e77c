import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../config/logger.ts';
import type { PidFile } from './pid-file.ts';

export interface InferenceProcessOptions {
  host: string;
  port: number;
  /** Environment of the child (AWS_* pointing at the edge, DDN_INFERENCE_*). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Rewrites each of the child's log lines before it reaches stderr (pretty output); absent: passed as they are. */
  formatLogLine?: (line: string) => string;
  /** Called when the server answers /ping (true), stops answering it or its process exited (false). */
  onReadyChange: (ready: boolean, detail: Record<string, unknown>) => void;
  /** Where the child's pid is kept while it runs (DATA_DIR/inference.pid). */
  pidFile?: PidFile;
}

/** How often a ready server's /ping is checked, and how long one check waits for the answer. */
const PING_INTERVAL_MS = 1000;
const PING_TIMEOUT_MS = 3000;
/** Checks in a row that must fail before health reports the server as not answering. */
const FAILED_PINGS = 2;

const MAIN = fileURLToPath(new URL('../inference/main.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');

/**
 * The inference server as a child process (`node --import tsx src/inference/main.ts`), restarted whenever it dies.
 * The child exits when its stdin, a pipe from this process, closes: it never outlives `ddn up`, even after SIGKILL.
 * Its /ping is checked for as long as it runs; only an answer carrying this child's instance id counts.
 */
export class InferenceProcess {
  private child?: ChildProcess;
  private stopping = false;
  private restarts = 0;
  private ready = false;

  constructor(private readonly options: InferenceProcessOptions) {}

  get url(): string {
    return `http://${this.options.host}:${this.options.port}`;
  }

  /** Stops an inference server that a killed `ddn up` left running (recorded in the pid file). */
  async stopStale(): Promise<void> {
    const pid = await this.options.pidFile?.stopStale();
    if (pid !== undefined) this.options.logger.warn({ pid }, 'stopped an inference server left by an earlier ddn up');
  }

  start(): void {
    const { env, logger } = this.options;
    const startedAt = Date.now();
    const instance = randomUUID();
    const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
      env: {
        ...env,
        DDN_INFERENCE_HOST: this.options.host,
        DDN_INFERENCE_PORT: String(this.options.port),
        DDN_INFERENCE_INSTANCE: instance,
        DDN_EXIT_WITH_STDIN: '1',
      },
      stdio: ['pipe', 'pipe', this.options.formatLogLine ? 'pipe' : 'inherit'],
    });
    this.child = child;
    child.stdin!.on('error', () => undefined);
    if (child.pid !== undefined) this.options.pidFile?.write(child.pid);
    child.stdout!.pipe(process.stderr);
    const format = this.options.formatLogLine;
    if (format) createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(format(line)));
    logger.info({ pid: child.pid, url: this.url }, 'inference server starting');
    void this.monitor(child, instance);
    child.once('exit', (code, signal) => {
      this.options.pidFile?.remove();
      this.setReady(false, { pid: child.pid, exitCode: code, signal });
      if (this.stopping) return;
      if (Date.now() - startedAt > 60_000) this.restarts = 0;
      const delay = Math.min(500 * 2 ** this.restarts++, 30_000);
      logger.error({ code, signal, restartInMs: delay }, 'inference server exited; restarting');
      setTimeout(() => this.stopping || this.start(), delay).unref();
    });
  }

  /** Resolves once /ping answers 200; rejects after `timeoutMs`. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ready) {
      if (Date.now() > deadline)
        throw new Error(
          `the inference server did not answer ${this.url}/ping within ${timeoutMs / 1000} s (see its log above)`,
        );
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private async monitor(child: ChildProcess, instance: string): Promise<void> {
    let failures = 0;
    while (this.child === child && child.exitCode === null && child.signalCode === null && !this.stopping) {
      const answer = await fetch(`${this.url}/ping`, { signal: AbortSignal.timeout(PING_TIMEOUT_MS) }).then(
        (res) => (
          void res.body?.cancel(),
          res.status === 200 && res.headers.get('x-ddn-instance') === instance ? 'ok' : `status ${res.status}`
        ),
        (err: Error) => (err.name === 'TimeoutError' ? `no answer within ${PING_TIMEOUT_MS} ms` : err.message),
      );
      if (this.child !== child || child.exitCode !== null || child.signalCode !== null || this.stopping) return;
      if (answer === 'ok') {
        failures = 0;
        if (!this.ready) this.setReady(true, { pid: child.pid, url: this.url, restarts: this.restarts });
      } else if (this.ready && ++failures >= FAILED_PINGS) {
        this.options.logger.error({ pid: child.pid, reason: answer }, 'the inference server stopped answering /ping');
        this.setReady(false, { pid: child.pid, url: this.url, error: `/ping: ${answer}` });
      }
      await sleep(this.ready ? PING_INTERVAL_MS : 150);
    }
  }

  private setReady(ready: boolean, detail: Record<string, unknown>): void {
    this.ready = ready;
    this.options.onReadyChange(ready, detail);
  }
}
