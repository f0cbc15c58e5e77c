import { Worker } from 'node:worker_threads';
import type { DenoiseJob, DenoiseOutput, FromWorker, ToWorker, WorkerInit } from './worker-protocol.ts';
import type { ModelName } from './models.ts';

export class JobAbortedError extends Error {}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
}

interface Pending {
  job: DenoiseJob;
  signal?: AbortSignal;
  resolve: (output: DenoiseOutput) => void;
  reject: (err: Error) => void;
}

/** How long a cancelled job's worker may take to hand its tiles in flight back before it is replaced. */
const CANCEL_GRACE_MS = 10_000;

/**
 * Worker threads that each hold both models. A job goes to a free worker. An aborted job (client gone, timeout)
 * rejects at once; its worker stops before its next tile and takes the next job once its tiles in flight are back.
 * Only a worker that does not stop within CANCEL_GRACE_MS is terminated and replaced: terminating a thread while
 * ONNX Runtime runs in it can abort the whole process ("terminate called after throwing ... Napi::Error").
 */
export class DenoisePool {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Where each model came from, once the first worker has loaded them. */
  models?: Record<ModelName, string>;

  private constructor(private readonly init: WorkerInit) {}

  /** Starts `size` workers and resolves once all have loaded the models (rejects if a model fails to load). */
  static async start(size: number, init: WorkerInit): Promise<DenoisePool> {
    const pool = new DenoisePool(init);
    for (let i = 0; i < size; i++) pool.slots.push(pool.spawn());
    try {
      await Promise.all(pool.slots.map((s) => s.ready));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: this.init });
    const slot: Slot = { worker, busy: false, ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === 'ready') {
          this.models ??= m.models;
          resolve();
        } else if (m.type === 'load-failed') reject(new Error(`loading the models failed: ${m.message}`));
        else return;
        worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    slot.ready.then(
      () => this.dispatch(),
      () => undefined,
    );
    worker.unref();
    return slot;
  }

  run(job: DenoiseJob, signal?: AbortSignal): Promise<DenoiseOutput> {
    if (this.closed) return Promise.reject(new Error('the denoise pool is closed'));
    if (signal?.aborted) return Promise.reject(new JobAbortedError(String(signal.reason ?? 'aborted')));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, signal, resolve, reject });
      void this.dispatch();
    });
  }

  private async dispatch(): Promise<void> {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      slot.busy = true;
      try {
        await slot.ready;
      } catch {
        slot.busy = false;
        continue;
      }
      const pending = this.queue.shift();
      if (!pending) {
        slot.busy = false;
        continue;
      }
      this.execute(slot, pending);
    }
  }

  private execute(slot: Slot, { job, signal, resolve, reject }: Pending): void {
    if (signal?.aborted) {
      slot.busy = false;
      reject(new JobAbortedError(String(signal.reason ?? 'aborted')));
      void this.dispatch();
      return;
    }
    const id = this.nextId++;
    let stuck: NodeJS.Timeout | undefined;
    const finish = () => {
      slot.worker.off('message', onMessage);
      slot.worker.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(stuck);
    };
    const onMessage = (m: FromWorker) => {
      if ((m.type !== 'done' && m.type !== 'failed') || m.id !== id) return;
      finish();
      slot.busy = false;
      if (m.type === 'done') resolve(m.output);
      else reject(new Error(m.message));
      void this.dispatch();
    };
    const onError = (err: Error) => {
      finish();
      this.replace(slot);
      reject(err);
    };
    const onAbort = () => {
      reject(new JobAbortedError(String(signal?.reason ?? 'aborted')));
      slot.worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
      stuck = setTimeout(() => (finish(), this.replace(slot)), CANCEL_GRACE_MS);
      stuck.unref();
    };
    slot.worker.on('message', onMessage);
    slot.worker.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    const pixels = job.pixels.slice();
    slot.worker.postMessage({ type: 'job', id, job: { ...job, pixels } } satisfies ToWorker, [pixels.buffer]);
  }

  /** Terminates a worker stuck in (or broken by) a job and starts a fresh one in its place. */
  private replace(slot: Slot): void {
    void slot.worker.terminate();
    if (this.closed) return;
    const fresh = this.spawn();
    slot.worker = fresh.worker;
    slot.ready = fresh.ready;
    slot.busy = false;
  }

  /** Has every worker collect the garbage of its last job, once the job has ended. */
  collect(): void {
    for (const slot of this.slots) slot.worker.postMessage({ type: 'collect' } satisfies ToWorker);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the denoise pool is closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
