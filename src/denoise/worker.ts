// Worker thread: loads the models once, then denoises one job at a time off the HTTP event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { loadModelSource, MODEL_NAMES, type ModelName } from './models.ts';
import { denoisePixels } from './pipeline.ts';
import { ModelSession } from './session.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.ts';

const port = parentPort!;
const init = workerData as WorkerInit;
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

try {
  const sessions = {} as Record<ModelName, ModelSession>;
  for (const name of MODEL_NAMES) sessions[name] = await ModelSession.load(loadModelSource(name, init.modelDir), init.threads);
  port.on('message', async ({ id, job }: ToWorker) => {
    try {
      const session = sessions[job.model];
      const { pixels, noise } = await denoisePixels(job.pixels, job, session.source.tiling, session.denoiser(job.strength));
      send({ type: 'done', id, output: { pixels, noise, modelOrigin: session.source.origin } }, [pixels.buffer as ArrayBuffer]);
    } catch (err) {
      send({ type: 'failed', id, message: (err as Error).message });
    }
  });
  send({ type: 'ready', models: Object.fromEntries(MODEL_NAMES.map((n) => [n, sessions[n].source.origin])) as Record<ModelName, string> });
} catch (err) {
  send({ type: 'load-failed', message: (err as Error).message });
}
