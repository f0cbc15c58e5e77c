// Worker thread: denoises one job at a time off the HTTP event loop; the models run in its tile workers.
import { parentPort, workerData } from 'node:worker_threads';
import { collectGarbage } from './collect-garbage.ts';
import { MODEL_NAMES, type ModelName } from './models.ts';
import { denoisePixels } from './pipeline.ts';
import { TileWorkers } from './tile-workers.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.ts';

const port = parentPort!;
const init = workerData as WorkerInit;
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

try {
  let tiles = await TileWorkers.start(init.threads, init.modelDir);
  /** The jobs running, by id: a cancel aborts its controller. */
  const running = new Map<number, AbortController>();
  let collectDue = false;
  const collectIfIdle = () => {
    if (!collectDue || running.size > 0) return;
    collectDue = false;
    collectGarbage();
    tiles.collect();
  };
  const denoiseJob = async (id: number, job: Extract<ToWorker, { type: 'job' }>['job']) => {
    const controller = new AbortController();
    running.set(id, controller);
    try {
      if (tiles.broken) {
        await tiles.close();
        tiles = await TileWorkers.start(init.threads, init.modelDir);
      }
      const { origin, tiling } = tiles.models[job.model];
      const { pixels, noise } = await denoisePixels(
        job.pixels,
        job,
        tiling,
        tiles.denoiser(job.model, job.strength),
        tiles.size,
        controller.signal,
      );
      send({ type: 'done', id, output: { pixels, noise, modelOrigin: origin } }, [pixels.buffer as ArrayBuffer]);
    } catch (err) {
      send({ type: 'failed', id, message: (err as Error).message });
    } finally {
      running.delete(id);
      // The job's buffers are unreachable once this frame is gone.
      setImmediate(collectIfIdle);
    }
  };
  port.on('message', (message: ToWorker) => {
    if (message.type === 'job') void denoiseJob(message.id, message.job);
    else if (message.type === 'cancel') running.get(message.id)?.abort(new Error('the job was cancelled'));
    else {
      collectDue = true;
      collectIfIdle();
    }
  });
  send({
    type: 'ready',
    models: Object.fromEntries(MODEL_NAMES.map((n) => [n, tiles.models[n].origin])) as Record<ModelName, string>,
  });
} catch (err) {
  send({ type: 'load-failed', message: (err as Error).message });
}
