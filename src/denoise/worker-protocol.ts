import type { NoiseModel } from './gat.ts';
import type { ModelName } from './models.ts';

export interface DenoiseJob {
  model: ModelName;
  /** Grey pixels, row-major: 8 or 16 bits per sample. */
  pixels: Uint16Array | Uint8Array;
  width: number;
  height: number;
  digitalOffset: number;
  usingBits: number;
  /** 0..1 (the request's strength / 20). */
  strength: number;
}

export interface DenoiseOutput {
  pixels: Uint16Array | Uint8Array;
  noise: NoiseModel;
  modelOrigin: string;
}

export interface WorkerInit {
  modelDir?: string;
  /** Tile workers of the job worker, each running the models on one thread. */
  threads: number;
}

export type ToWorker =
  | { type: 'job'; id: number; job: DenoiseJob }
  /** Stop job `id` before its next tile; the worker answers `failed` for it once its tiles in flight are back. */
  | { type: 'cancel'; id: number }
  /** Collect the garbage of the last job in every thread of the worker, once no job runs. */
  | { type: 'collect' };

export type FromWorker =
  | { type: 'ready'; models: Record<ModelName, string> }
  | { type: 'load-failed'; message: string }
  | { type: 'done'; id: number; output: DenoiseOutput }
  | { type: 'failed'; id: number; message: string };
