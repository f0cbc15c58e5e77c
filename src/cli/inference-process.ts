import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../config/logger.ts';

export interface InferenceProcessOptions {
  host: string;
  port: number;
  /** Environment of the child (AWS_* pointing at the edge, DDN_INFERENCE_*). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Rewrites each of the child's log lines before it reaches stderr (pretty output); absent: passed as they are. */
  formatLogLine?: (line: string) => string;
  /** Called when the server answers /ping (true) or its process exited (false). */
  onReadyChange: (ready: boolean, detail: Record<string, unknown>) => void;
}

const MAIN = fileURLToPath(new URL('../inference/main.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');

/** The inference server as a child process (`node --import tsx src/inference/main.ts`), restarted whenever it dies. */
export class InferenceProcess {
  private child?: ChildProcess;
  private stopping = false;
  private restarts = 0;
  private ready = false;

  constructor(private readonly options: InferenceProcessOptions) {}

  get url(): string {
    return `http://${this.options.host}:${this.options.port}`;
  }

  start(): void {
    const { env, logger } = this.options;
    const startedAt = Date.now();
    const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
      env: { ...env, DDN_INFERENCE_HOST: this.options.host, DDN_INFERENCE_PORT: String(this.options.port) },
      stdio: ['ignore', 'pipe', this.options.formatLogLine ? 'pipe' : 'inherit'],
    });
    this.child = child;
    child.stdout!.pipe(process.stderr);
    const format = this.options.formatLogLine;
    if (format) createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(format(line)));
    logger.info({ pid: child.pid, url: this.url }, 'inference server starting');
    void this.pollUntilReady(child);
    child.once('exit', (code, signal) => {
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
      if (Date.now() > deadline) throw new Error(`the inference server did not answer ${this.url}/ping within ${timeoutMs / 1000} s (see its log above)`);
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

  private async pollUntilReady(child: ChildProcess): Promise<void> {
    while (this.child === child && child.exitCode === null && !this.stopping) {
      const ok = await fetch(`${this.url}/ping`).then(
        (res) => (res.body?.cancel(), res.status === 200),
        () => false,
      );
      if (ok) return this.setReady(true, { pid: child.pid, url: this.url, restarts: this.restarts });
      await sleep(150);
    }
  }

  private setReady(ready: boolean, detail: Record<string, unknown>): void {
    this.ready = ready;
    this.options.onReadyChange(ready, detail);
  }
}
