import { estimateNoise } from './noise.ts';
import { forwardGat, inverseGatFunction, type NoiseModel } from './gat.ts';

/** How the image is cut for a model: output tiles of `tile`², read with `margin` on every side. */
export interface Tiling {
  tile: number;
  margin: number;
  /** Tile sizes are rounded up to a multiple of this; tile origins lie on it (a global block grid). */
  align: number;
}

/**
 * Runs the model on one GAT-domain tile [1,1,h,w]; resolves to the denoised tile of the same size.
 * The denoiser may transfer the tile away (then the result is the caller's to keep and reuse);
 * otherwise the result may be overwritten by its next call.
 */
export type TileDenoiser = (tile: Float32Array, height: number, width: number) => Promise<Float32Array>;

export interface DenoiseParams {
  width: number;
  height: number;
  digitalOffset: number;
  /** Output is clipped to [0, 2^usingBits − 1]. */
  usingBits: number;
}

export interface DenoiseResult {
  pixels: Uint16Array | Uint8Array;
  noise: NoiseModel;
}

/** Index into [0, n) mirrored at the borders without repeating the edge pixel. */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const r = ((i % period) + period) % period;
  return r < n ? r : period - r;
}

const roundUp = (v: number, a: number) => Math.ceil(v / a) * a;

/** A run of tiles along one axis: each reads `size` pixels from `origin` and writes [from, to). */
interface Span {
  origin: number;
  size: number;
  from: number;
  to: number;
}

/**
 * Tiles of `step` along an axis of `length`. The last one is moved back (on the `align` grid) to end
 * at or past the border rather than shrunk, so that every tile has the same shape: onnxruntime's
 * first run of a new shape costs far more than a run.
 */
function spans(length: number, step: number, align: number): Span[] {
  if (length <= step) return [{ origin: 0, size: roundUp(length, align), from: 0, to: length }];
  const result: Span[] = [];
  for (let origin = 0; origin < length; origin += step) {
    const from = origin;
    if (origin + step > length) origin = roundUp(length - step, align);
    result.push({ origin, size: step, from, to: Math.min(origin + step, length) });
  }
  return result;
}

/** The GAT values of the h×w patch whose top left is (top, left), reflected at the image borders. */
function cutPatch(
  input: Uint16Array | Uint8Array,
  width: number,
  height: number,
  gatOf: Float32Array,
  top: number,
  left: number,
  h: number,
  w: number,
  patch: Float32Array,
): void {
  const columns = new Int32Array(w);
  for (let x = 0; x < w; x++) columns[x] = reflect(left + x, width);
  // Columns [inside, outside) need no reflection: a straight run of the source row.
  const inside = Math.max(0, -left);
  const outside = Math.max(inside, Math.min(w, width - left));
  for (let y = 0; y < h; y++) {
    const row = reflect(top + y, height) * width;
    const base = y * w;
    for (let x = 0; x < inside; x++) patch[base + x] = gatOf[input[row + columns[x]]];
    const run = row + left;
    for (let x = inside; x < outside; x++) patch[base + x] = gatOf[input[run + x]];
    for (let x = outside; x < w; x++) patch[base + x] = gatOf[input[row + columns[x]]];
  }
}

/** Writes the part of a denoised patch its spans own back as DN: unbiased inverse, offset, round, clip. */
function writeBack(
  result: Float32Array,
  w: number,
  margin: number,
  output: Uint16Array | Uint8Array,
  width: number,
  rows: Span,
  columns: Span,
  inverse: (d: number) => number,
  offset: number,
  maxValue: number,
): void {
  for (let y = rows.from; y < rows.to; y++) {
    const from = (y - rows.origin + margin) * w + margin - columns.origin;
    const to = y * width;
    for (let x = columns.from; x < columns.to; x++) {
      const v = inverse(result[from + x]) + offset;
      // Math.round(v), clipped, without Math.round (a third of the time): for 0.5 ≤ v < maxValue, v + 0.5
      // is exact and the typed-array store truncates it; below 0.5 it rounds to 0, from maxValue up to maxValue.
      output[to + x] = v < 0.5 ? 0 : v >= maxValue ? maxValue : v + 0.5;
    }
  }
}

/**
 * offset → noise estimate → GAT → model (tile by tile) → unbiased inverse → offset → clip.
 * Up to `concurrency` tiles are in the denoiser at once; memory beyond input and output is that many tiles.
 * Once `signal` aborts no further tile starts, and the result rejects with its reason when the tiles in flight are back.
 */
export async function denoisePixels(
  input: Uint16Array | Uint8Array,
  params: DenoiseParams,
  tiling: Tiling,
  denoiseTile: TileDenoiser,
  concurrency = 1,
  signal?: AbortSignal,
): Promise<DenoiseResult> {
  const { width, height, digitalOffset: offset } = params;
  const noise = estimateNoise(input, width, height, offset);
  const output = input instanceof Uint8Array ? new Uint8Array(input.length) : new Uint16Array(input.length);
  const maxValue = Math.min(2 ** params.usingBits - 1, input instanceof Uint8Array ? 255 : 65535);

  // A lookup table from DN to GAT value (inputs are integers below 65536).
  const gatOf = new Float32Array(input instanceof Uint8Array ? 256 : 65536);
  for (let v = 0; v < gatOf.length; v++) gatOf[v] = forwardGat(Math.max(0, v - offset), noise);
  const inverse = inverseGatFunction(noise);

  const { tile, margin, align } = tiling;
  const step = roundUp(tile, align);
  const tiles: [Span, Span][] = [];
  for (const rows of spans(height, step, align))
    for (const columns of spans(width, step, align)) tiles.push([rows, columns]);
  let next = 0;
  let failure: Error | undefined;
  const worker = async () => {
    let patch: Float32Array = new Float32Array(0);
    while (next < tiles.length && !failure) {
      signal?.throwIfAborted();
      const [rows, columns] = tiles[next++];
      const h = rows.size + 2 * margin;
      const w = columns.size + 2 * margin;
      if (patch.length !== h * w) patch = new Float32Array(h * w);
      cutPatch(input, width, height, gatOf, rows.origin - margin, columns.origin - margin, h, w, patch);
      const result = await denoiseTile(patch, h, w);
      writeBack(result, w, margin, output, width, rows, columns, inverse, offset, maxValue);
      // A denoiser that took the tile away (transferred it) hands back a result that is ours: reuse it.
      if (patch.length === 0) patch = result;
    }
  };
  // Every run ends before this returns: a failed or cancelled job leaves no tile behind in the denoiser.
  const failed = (err: Error) => void (failure ??= err);
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, () => worker().catch(failed)));
  if (failure) throw failure;
  return { pixels: output, noise };
}
