// Generalised Anscombe transform for Poisson–Gaussian data z = gain·Poisson + N(0, readVariance),
// and the closed-form approximation of its exact unbiased inverse (Mäkitalo & Foi, 2013).

export interface NoiseModel {
  /** DN per quantum. */
  gain: number;
  /** Variance of the signal-independent (read) noise, in DN². */
  readVariance: number;
}

/** Maps z (DN above the offset) to a value whose noise is roughly Gaussian with σ = 1. */
export function forwardGat(z: number, { gain, readVariance }: NoiseModel): number {
  return 2 * Math.sqrt(Math.max(0, z / gain + 0.375 + readVariance / (gain * gain)));
}

const SQRT_3_2 = Math.sqrt(1.5);

/** Unbiased inverse of forwardGat, clamped at 0 (the clean signal is never below the offset). */
export function inverseGat(d: number, { gain, readVariance }: NoiseModel): number {
  const x = Math.max(d, 1);
  const inv =
    x * x * 0.25 +
    (0.25 * SQRT_3_2) / x -
    1.375 / (x * x) +
    (0.625 * SQRT_3_2) / (x * x * x) -
    0.125 -
    readVariance / (gain * gain);
  return gain * Math.max(0, inv);
}

/** inverseGat for one noise model, with its constants folded (the per-pixel hot path). */
export function inverseGatFunction({ gain, readVariance }: NoiseModel): (d: number) => number {
  const c0 = -0.125 - readVariance / (gain * gain);
  const c1 = 0.25 * SQRT_3_2;
  const c3 = 0.625 * SQRT_3_2;
  return (d) => {
    const x = d > 1 ? d : 1;
    const r = 1 / x;
    const inv = 0.25 * x * x + r * (c1 + r * (-1.375 + r * c3)) + c0;
    return inv > 0 ? gain * inv : 0;
  };
}
