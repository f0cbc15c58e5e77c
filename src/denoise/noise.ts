import type { NoiseModel } from './gat.ts';

const BLOCK = 16;
const MAX_BLOCKS = 6000;
const GROUPS = 24;

/** The k-th smallest of the first `n` entries (Hoare's selection; reorders them). */
function select(values: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i++] = values[j];
        values[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k];
  }
  return values[k];
}

/** Median of the first `n` entries (reorders them). */
function median(values: Float64Array, n: number): number {
  const upper = select(values, n, n >> 1);
  if (n % 2) return upper;
  let lower = -Infinity;
  for (let k = 0; k < n >> 1; k++) if (values[k] > lower) lower = values[k];
  return (lower + upper) / 2;
}

/**
 * Estimates gain and read noise from the image itself: in sampled 16×16 blocks, the noise σ is the
 * MAD of a 2×2 high-pass residual (unit gain on white noise, blind to linear ramps); the block
 * variances, grouped by block mean and reduced to group medians (robust against edges), are fitted
 * with a weighted least-squares line var = gain·mean + read².
 */
export function estimateNoise(pixels: ArrayLike<number>, width: number, height: number, offset: number): NoiseModel {
  const bx = Math.floor(width / BLOCK);
  const by = Math.floor(height / BLOCK);
  const step = Math.max(1, Math.ceil(Math.sqrt((bx * by) / MAX_BLOCKS)));
  const means: number[] = [];
  const variances: number[] = [];
  const residuals = new Float64Array((BLOCK - 1) * (BLOCK - 1));
  for (let j = 0; j < by; j += step) {
    for (let i = 0; i < bx; i += step) {
      let sum = 0;
      let n = 0;
      for (let y = j * BLOCK; y < (j + 1) * BLOCK; y++) {
        const row = y * width;
        for (let x = i * BLOCK; x < (i + 1) * BLOCK; x++) {
          sum += pixels[row + x];
          if (y + 1 < (j + 1) * BLOCK && x + 1 < (i + 1) * BLOCK) {
            const r = pixels[row + x] - pixels[row + x + 1] - pixels[row + width + x] + pixels[row + width + x + 1];
            residuals[n++] = r * 0.5;
          }
        }
      }
      const m = median(residuals, n);
      for (let k = 0; k < n; k++) residuals[k] = Math.abs(residuals[k] - m);
      const sigma = 1.4826 * median(residuals, n);
      means.push(sum / (BLOCK * BLOCK) - offset);
      variances.push(sigma * sigma);
    }
  }
  return fitNoiseLine(means, variances);
}

function fitNoiseLine(means: number[], variances: number[]): NoiseModel {
  if (means.length === 0) return { gain: 1, readVariance: 0 };
  const order = means.map((_, i) => i).sort((a, b) => means[a] - means[b]);
  const groups = Math.min(GROUPS, order.length);
  const xs: number[] = [];
  const ys: number[] = [];
  const scratch = new Float64Array(order.length);
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * order.length) / groups);
    const to = Math.floor(((g + 1) * order.length) / groups);
    let meanSum = 0;
    for (let k = from; k < to; k++) {
      meanSum += means[order[k]];
      scratch[k - from] = variances[order[k]];
    }
    xs.push(meanSum / (to - from));
    ys.push(median(scratch, to - from));
  }
  // Weights 1/var²: the relative error of a variance estimate is the same at every level.
  let sw = 0,
    sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  for (let k = 0; k < xs.length; k++) {
    const w = 1 / Math.max(ys[k], 1e-6) ** 2;
    sw += w;
    sx += w * xs[k];
    sy += w * ys[k];
    sxx += w * xs[k] * xs[k];
    sxy += w * xs[k] * ys[k];
  }
  const det = sw * sxx - sx * sx;
  let gain = det > 1e-12 * sw * sxx ? (sw * sxy - sx * sy) / det : 0;
  let readVariance = (sy - gain * sx) / sw;
  if (!(gain > 1e-6)) {
    // No usable slope (flat or noise-free image): treat all noise as signal-dependent.
    const meanLevel = sx / sw;
    gain = meanLevel > 1 ? Math.max(sy / sw / meanLevel, 1e-6) : 1;
    readVariance = meanLevel > 1 ? 0 : sy / sw;
  }
  return { gain, readVariance: Math.max(0, readVariance) };
}
