import { totalmem } from 'node:os';

/**
 * Peak bytes a job holds per pixel (estimate): the downloaded TIFF, the decoded 16-bit samples, the worker's copy,
 * the model's float32 planes and the encoded output. Sizing for ECS: task memory ≈ concurrency × pixels × this × 2.
 */
export const BYTES_PER_PIXEL = 32;
/** libvips' own ceiling for one image (16383²), whatever the memory. */
const HARD_MAX_PIXELS = 0x3fff * 0x3fff;

/** The memory this process may use: a container's cgroup limit when there is one, else the machine's. */
export function availableMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
}

/** DDN_INFERENCE_MAX_PIXELS when unset: half the memory shared by the concurrent jobs, at most 16383². */
export function defaultMaxPixels(concurrency: number, memory = availableMemory()): number {
  return Math.max(1, Math.min(HARD_MAX_PIXELS, Math.floor(memory / 2 / concurrency / BYTES_PER_PIXEL)));
}
