import { Worker } from 'node:worker_threads';
import type { ModelName } from './models.ts';
import type { TileDenoiser } from './pipeline.ts';
import type { FromTileWorker, LoadedModel, TileWorkerInit, ToTileWorker } from './tile-worker.ts';

interface TileWorker {
  worker: Worker;
  pending: Map<number, { resolve(result: Float32Array): void; reject(err: Error): void }>;
  /** Set once the worker has died: its tiles fail at once. */
  failure?: Error;
}

/**
 * Worker threads that each run every model with a single-threaded ONNX Runtime session: tiles run
 * in parallel, one per worker, and overlap the caller's own work (cutting the next tile, writing
 * back the last). onnxruntime-node runs a session on the calling thread, so this is the only way
 * to overlap them; one session with several intra-op threads scales poorly on these small graphs.
 */
export class TileWorkers {
  private nextId = 1;
  /** Where each model came from and how its tiles are cut. */
  models!: Record<ModelName, LoadedModel>;

  private constructor(private readonly workers: TileWorker[]) {}

  static async start(count: number, modelDir?: string): Promise<TileWorkers> {
    const workers = Array.from({ length: count }, (): TileWorker => {
      const workerData: TileWorkerInit = { entry: './tile-worker.ts', modelDir };
      return { worker: new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData }), pending: new Map() };
    });
    const pool = new TileWorkers(workers);
    try {
      const loaded = await Promise.all(workers.map((w) => pool.listen(w)));
      pool.models = loaded[0];
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Resolves with the models once the worker has loaded them; afterwards routes its results. */
  private listen(w: TileWorker): Promise<Record<ModelName, LoadedModel>> {
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        w.failure ??= err;
        reject(err);
        for (const p of w.pending.values()) p.reject(err);
        w.pending.clear();
      };
      w.worker.on('message', (m: FromTileWorker) => {
        if (m.type === 'ready') resolve(m.models);
        else if (m.type === 'load-failed') fail(new Error(`loading the models failed: ${m.message}`));
        else {
          const p = w.pending.get(m.id);
          w.pending.delete(m.id);
          if (m.type === 'done') p?.resolve(m.result);
          else p?.reject(new Error(m.message));
        }
      });
      w.worker.once('error', fail);
      w.worker.once('exit', (code) => fail(new Error(`a tile worker exited (code ${code})`)));
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** A worker has died (a crash, out of memory): every later tile would fail, so the set must be replaced. */
  get broken(): boolean {
    return this.workers.some((w) => w.failure !== undefined);
  }

  /** A tile denoiser for `model` at `strength` (0..1); each tile goes to the worker with the fewest waiting. */
  denoiser(model: ModelName, strength: number): TileDenoiser {
    return (tile, height, width) => {
      const w = this.workers.reduce((idlest, x) => (x.pending.size < idlest.pending.size ? x : idlest));
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        if (w.failure) return reject(w.failure);
        w.pending.set(id, { resolve, reject });
        w.worker.postMessage({ id, model, strength, tile, height, width } satisfies ToTileWorker, [
          tile.buffer as ArrayBuffer,
        ]);
      });
    };
  }

  /** Asks every worker to collect its garbage (a job's tiles and ONNX Runtime's tensors). */
  collect(): void {
    for (const w of this.workers) if (!w.failure) w.worker.postMessage({ type: 'collect' } satisfies ToTileWorker);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
