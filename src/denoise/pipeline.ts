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
 * The tile is the denoiser's (it may be transferred); the result may be reused by the next call.
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

/** The GAT values of the h×w patch whose top left is (top, left), reflected at the image borders. */
function cutPatch(input: Uint16Array | Uint8Array, width: number, height: number, gatOf: Float32Array, top: number, left: number, h: number, w: number, patch: Float32Array): void {
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

/** Writes the inner th×tw of a denoised patch back as DN: unbiased inverse, offset, round, clip. */
function writeBack(
  result: Float32Array, w: number, margin: number,
  output: Uint16Array | Uint8Array, width: number, y0: number, x0: number, th: number, tw: number,
  inverse: (d: number) => number, offset: number, maxValue: number,
): void {
  for (let y = 0; y < th; y++) {
    const from = (y + margin) * w + margin;
    const to = (y0 + y) * width + x0;
    for (let x = 0; x < tw; x++) {
      const v = Math.round(inverse(result[from + x]) + offset);
      output[to + x] = v < 0 ? 0 : v > maxValue ? maxValue : v;
    }
  }
}

/**
 * offset → noise estimate → GAT → model (tile by tile) → unbiased inverse → offset → clip.
 * Up to `concurrency` tiles are in the denoiser at once; memory beyond input and output is that many tiles.
 */
export async function denoisePixels(
  input: Uint16Array | Uint8Array,
  params: DenoiseParams,
  tiling: Tiling,
  denoiseTile: TileDenoiser,
  concurrency = 1,
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
  const origins: [number, number][] = [];
  for (let y0 = 0; y0 < height; y0 += step) for (let x0 = 0; x0 < width; x0 += step) origins.push([y0, x0]);
  let next = 0;
  const worker = async () => {
    while (next < origins.length) {
      const [y0, x0] = origins[next++];
      const th = Math.min(step, height - y0);
      const tw = Math.min(step, width - x0);
      const h = roundUp(th, align) + 2 * margin;
      const w = roundUp(tw, align) + 2 * margin;
      const patch = new Float32Array(h * w);
      cutPatch(input, width, height, gatOf, y0 - margin, x0 - margin, h, w, patch);
      const result = await denoiseTile(patch, h, w);
      writeBack(result, w, margin, output, width, y0, x0, th, tw, inverse, offset, maxValue);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { pixels: output, noise };
}
