/** Display window for 16-bit data: values ≤ low are black, ≥ high white. */
export interface DisplayWindow {
  low: number;
  high: number;
}

/** Histogram over 0..2^bits-1 (one bin per value). */
export function histogram(data: ArrayLike<number>, bits: number): Uint32Array {
  const bins = new Uint32Array(1 << bits);
  for (let i = 0; i < data.length; i++) bins[data[i]]++;
  return bins;
}

/** The smallest value v such that at least `fraction` of the pixels are ≤ v. */
export function percentile(bins: Uint32Array, total: number, fraction: number): number {
  const target = Math.max(1, Math.ceil(total * fraction));
  let seen = 0;
  for (let v = 0; v < bins.length; v++) {
    seen += bins[v];
    if (seen >= target) return v;
  }
  return bins.length - 1;
}

/** Window from the 0.5th and 99.5th percentiles; never empty. */
export function autoWindow(bins: Uint32Array, total: number, lowFraction = 0.005, highFraction = 0.995): DisplayWindow {
  const low = percentile(bins, total, lowFraction);
  const high = percentile(bins, total, highFraction);
  return high > low ? { low, high } : { low, high: low + 1 };
}

/** Converts window centre/width (what radiologists call level/window) to low/high. */
export function fromLevelWidth(level: number, width: number): DisplayWindow {
  const w = Math.max(1, width);
  return { low: level - w / 2, high: level + w / 2 };
}

/** Lookup table mapping each stored value to its 8-bit display value. */
export function windowLut(bits: number, win: DisplayWindow): Uint8Array {
  const lut = new Uint8Array(1 << bits);
  const scale = 255 / (win.high - win.low);
  for (let v = 0; v < lut.length; v++) {
    const g = (v - win.low) * scale;
    lut[v] = g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g);
  }
  return lut;
}

/** Fills an RGBA buffer (ImageData.data) with the windowed grey image. */
export function renderWindowed(data: ArrayLike<number>, lut: Uint8Array, rgba: Uint8ClampedArray): void {
  for (let i = 0, j = 0; i < data.length; i++, j += 4) {
    const g = lut[data[i]];
    rgba[j] = g;
    rgba[j + 1] = g;
    rgba[j + 2] = g;
    rgba[j + 3] = 255;
  }
}

/**
 * Renders `after − before` with mid-grey at zero: brighter where the result is higher.
 * `range` is the difference shown as full white/black; by default the 99.5th percentile of |diff|.
 */
export function renderDifference(
  before: ArrayLike<number>,
  after: ArrayLike<number>,
  rgba: Uint8ClampedArray,
  range?: number,
): number {
  if (before.length !== after.length) throw new Error('the images differ in size');
  const r = range ?? differenceRange(before, after);
  const scale = 127.5 / r;
  for (let i = 0, j = 0; i < before.length; i++, j += 4) {
    const g = 127.5 + (after[i] - before[i]) * scale;
    const v = g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g);
    rgba[j] = v;
    rgba[j + 1] = v;
    rgba[j + 2] = v;
    rgba[j + 3] = 255;
  }
  return r;
}

/** The 99.5th percentile of |after − before| (at least 1). */
export function differenceRange(before: ArrayLike<number>, after: ArrayLike<number>): number {
  const bins = new Uint32Array(65536);
  for (let i = 0; i < before.length; i++) bins[Math.min(65535, Math.abs(after[i] - before[i]))]++;
  return Math.max(1, percentile(bins, before.length, 0.995));
}
