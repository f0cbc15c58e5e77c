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
  const inv = x * x * 0.25 + 0.25 * SQRT_3_2 / x - 1.375 / (x * x) + 0.625 * SQRT_3_2 / (x * x * x) - 0.125 - readVariance / (gain * gain);
  return gain * Math.max(0, inv);
}
