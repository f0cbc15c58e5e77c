// Tile worker thread: loads every model in a single-threaded session, then denoises the tiles it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { collectGarbage } from './collect-garbage.ts';
import { loadModelSource, MODEL_NAMES, type ModelName } from './models.ts';
import type { Tiling } from './pipeline.ts';
import { ModelSession } from './session.ts';

export interface TileWorkerInit {
  /** The module worker-boot.mjs loads. */
  entry: './tile-worker.ts';
  modelDir?: string;
}

export interface TileRequest {
  type?: undefined;
  id: number;
  model: ModelName;
  strength: number;
  tile: Float32Array;
  height: number;
  width: number;
}

export type ToTileWorker = TileRequest | { type: 'collect' };

/** Where a model came from and how its tiles are cut. */
export interface LoadedModel {
  origin: string;
  tiling: Tiling;
}

export type FromTileWorker =
  | { type: 'ready'; models: Record<ModelName, LoadedModel> }
  | { type: 'load-failed'; message: string }
  | { type: 'done'; id: number; result: Float32Array }
  | { type: 'failed'; id: number; message: string };

const port = parentPort!;
const init = workerData as TileWorkerInit;
const send = (message: FromTileWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

try {
  const sessions = {} as Record<ModelName, ModelSession>;
  for (const name of MODEL_NAMES) {
    sessions[name] = await ModelSession.load(loadModelSource(name, init.modelDir), 1);
    // One run of a full tile before the first job: ONNX Runtime's first run of a shape costs several more.
    const { tile, margin, align } = sessions[name].source.tiling;
    const side = Math.ceil(tile / align) * align + 2 * margin;
    await sessions[name].denoiser(0.5)(new Float32Array(side * side), side, side);
  }
  const denoiseTile = async ({ id, model, strength, tile, height, width }: TileRequest) => {
    try {
      // The result goes back in the tile's own buffer (transferred back and forth, nothing allocated per tile).
      tile.set(await sessions[model].denoiser(strength)(tile, height, width));
      send({ type: 'done', id, result: tile }, [tile.buffer as ArrayBuffer]);
    } catch (err) {
      send({ type: 'failed', id, message: (err as Error).message });
    }
  };
  port.on('message', (message: ToTileWorker) => {
    if (message.type === 'collect') collectGarbage();
    else void denoiseTile(message);
  });
  const models = Object.fromEntries(
    MODEL_NAMES.map((n) => [n, { origin: sessions[n].source.origin, tiling: sessions[n].source.tiling }]),
  );
  send({ type: 'ready', models: models as Record<ModelName, LoadedModel> });
} catch (err) {
  send({ type: 'load-failed', message: (err as Error).message });
}
