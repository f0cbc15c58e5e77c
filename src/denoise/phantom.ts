// A synthetic dental X-ray phantom with Poisson–Gaussian noise, deterministic for a seed.
//
// The clean image is a radiograph by Beer–Lambert attenuation, I = I0·exp(−Σ μ·chord length), through
// ellipsoids (soft tissue, a jaw with a cortical shell and trabecular texture, teeth of enamel, dentine
// and pulp, a metal filling) and a lead line-pair pattern, seen through a slightly blurring detector.
// I0 is set so that the mean signal is the spec's phantom's (noisy input 49.0 / 43.0 / 37.0 dB at g2 / g8 / g32).

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Dose {
  gain: number;
  read: number;
  offset: number;
}

/** The spec's three dose levels (DN per quantum, read noise DN, offset DN). */
export const DOSES: Record<'g2' | 'g8' | 'g32', Dose> = {
  g2: { gain: 2, read: 8, offset: 1000 },
  g8: { gain: 8, read: 16, offset: 1000 },
  g32: { gain: 32, read: 32, offset: 1000 },
};

/** Mean clean signal (DN above the offset) implied by the spec's noisy-input PSNRs. */
export const MEAN_SIGNAL = 26_900;
/** Detector blur: Gaussian σ in pixels. */
const DETECTOR_BLUR = 0.7;
const CORTICAL_MU = 5;
const TRABECULAR_MU = 2.5;
/** Relative variation of the trabecular density; with the texture's scales, calibrated so that the
 * spec's denoiser anchors (OpenCV NLM, DCT 8×8 and 16×16) are reproduced within about 0.5 dB. */
const TRABECULAR_CONTRAST = 0.9;

/** An ellipsoid seen along z, in image units (0..1), possibly turned by `angle` in the image plane. */
interface Ellipsoid {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  rz: number;
  angle?: number;
  /** Linear attenuation per image unit (negative: less dense than what it sits in). */
  mu: number;
}

/** μ·(length of the ray through (x, y) inside the ellipsoid). */
function attenuation(e: Ellipsoid, x: number, y: number): number {
  let dx = x - e.cx;
  let dy = y - e.cy;
  if (e.angle) {
    const c = Math.cos(e.angle);
    const s = Math.sin(e.angle);
    [dx, dy] = [c * dx + s * dy, -s * dx + c * dy];
  }
  const q = (dx / e.rx) ** 2 + (dy / e.ry) ** 2;
  return q < 1 ? 2 * e.rz * e.mu * Math.sqrt(1 - q) : 0;
}

/** Smooth value noise in about [−1, 1] on a `size`² image: octaves of random grids with cells of `cells` pixels, smoothstep-interpolated. */
function valueNoise(rnd: () => number, size: number, cells: number[]) {
  const grids = cells.map((cell) => {
    const n = Math.ceil(size / cell) + 2;
    return { cell, n, values: Float32Array.from({ length: n * n }, () => 2 * rnd() - 1) };
  });
  const amplitude = 1 / Math.sqrt(cells.length);
  return (x: number, y: number): number => {
    let sum = 0;
    for (const { cell, n, values } of grids) {
      const gx = x / cell;
      const gy = y / cell;
      const ix = Math.floor(gx);
      const iy = Math.floor(gy);
      const fx = gx - ix;
      const fy = gy - iy;
      const sx = fx * fx * (3 - 2 * fx);
      const sy = fy * fy * (3 - 2 * fy);
      const i = iy * n + ix;
      const top = values[i] + sx * (values[i + 1] - values[i]);
      const bottom = values[i + n] + sx * (values[i + n + 1] - values[i + n]);
      sum += top + sy * (bottom - top);
    }
    return sum * amplitude;
  };
}

/** Separable Gaussian blur in place (edges clamped). */
function gaussianBlur(img: Float32Array, size: number, sigma: number): void {
  const r = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = k.reduce((a, b) => a + b);
  const kernel = k.map((v) => v / total);
  const line = new Float32Array(size);
  for (const [stride, step] of [
    [size, 1],
    [1, size],
  ]) {
    for (let l = 0; l < size; l++) {
      const base = l * stride;
      for (let i = 0; i < size; i++) {
        let acc = 0;
        for (let j = -r; j <= r; j++) acc += kernel[j + r] * img[base + Math.min(size - 1, Math.max(0, i + j)) * step];
        line[i] = acc;
      }
      for (let i = 0; i < size; i++) img[base + i * step] = line[i];
    }
  }
}

/**
 * Clean signal in DN above the offset, `size`²: a dental radiograph (see the top of this file) with
 * a line-pair pattern of 2..12 px periods in the top-left corner.
 */
export function cleanPhantom(size: number, seed = 1): Float32Array {
  const rnd = seededRandom(seed);
  // The trabeculae have a physical size: their scales are in pixels, whatever the size of the field.
  const trabecular = valueNoise(rnd, size, [77, 34, 15, 10]);
  const softTissue: Ellipsoid = { cx: 0.5, cy: 0.64, rx: 0.56, ry: 0.5, rz: 0.3, mu: 1.2 };
  const jaw = { cx: 0.5, cy: 0.64, rx: 0.45, ry: 0.2, rz: 0.1 };
  const cortex: Ellipsoid = { ...jaw, mu: CORTICAL_MU };
  // Trabecular bone replaces the cortical bone inside; its density varies with the texture.
  const marrow: Ellipsoid = { ...jaw, rx: jaw.rx * 0.9, ry: jaw.ry * 0.82, rz: jaw.rz * 0.8, mu: 1 };
  const teeth: Ellipsoid[][] = Array.from({ length: 7 }, (_, i) => {
    const cx = 0.2 + i * 0.1 + (rnd() - 0.5) * 0.01;
    const cy = 0.5 + (rnd() - 0.5) * 0.04;
    const rx = 0.033 + rnd() * 0.01;
    const ry = 0.16 + rnd() * 0.03;
    const angle = (i - 3) * 0.05 + (rnd() - 0.5) * 0.06;
    const along = (d: number) => ({ cx: cx + Math.sin(angle) * d, cy: cy - Math.cos(angle) * d });
    return [
      { cx, cy, rx, ry, rz: rx * 0.9, angle, mu: 4 }, // dentine
      { ...along(0.62 * ry), rx: rx * 1.02, ry: ry * 0.4, rz: rx * 0.92, angle, mu: 3.5 }, // enamel cap
      { ...along(-0.05 * ry), rx: rx * 0.2, ry: ry * 0.72, rz: rx * 0.2, angle, mu: 1.2 - 4 }, // pulp canal
    ];
  });
  const filling: Ellipsoid = { cx: 0.42, cy: 0.37, rx: 0.026, ry: 0.016, rz: 0.02, mu: 100 };
  const img = new Float32Array(size * size);
  for (let py = 0; py < size; py++) {
    const y = (py + 0.5) / size;
    for (let px = 0; px < size; px++) {
      const x = (px + 0.5) / size;
      let a = attenuation(softTissue, x, y) + attenuation(cortex, x, y);
      const inner = attenuation(marrow, x, y);
      if (inner !== 0) a += inner * (TRABECULAR_MU * (1 + TRABECULAR_CONTRAST * trabecular(px, py)) - CORTICAL_MU);
      for (const tooth of teeth)
        if (Math.abs(x - tooth[0].cx) < 0.1) for (const part of tooth) a += attenuation(part, x, y);
      a += attenuation(filling, x, y);
      if (y > 0.04 && y < 0.14 && x > 0.04 && x < 0.4) {
        const period = 2 * (6 - Math.floor((x - 0.04) / 0.06));
        if (Math.floor(px / (period / 2)) % 2) a += 1.1; // lead bar
      }
      img[py * size + px] = (1 - 0.12 * y) * Math.exp(-a); // heel effect
    }
  }
  gaussianBlur(img, size, DETECTOR_BLUR);
  let sum = 0;
  for (const v of img) sum += v;
  const i0 = (MEAN_SIGNAL * img.length) / sum;
  for (let i = 0; i < img.length; i++) img[i] *= i0;
  return img;
}
/** Detector counts: gain·Poisson(clean/gain) + N(0, read²) + offset, rounded and clipped to 16 bits. */
export function noisyPhantom(clean: Float32Array, dose: Dose, seed = 2): Uint16Array {
  const rnd = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(6.283185307179586 * rnd());
  const out = new Uint16Array(clean.length);
  for (let i = 0; i < clean.length; i++) {
    const lambda = Math.max(0, clean[i]) / dose.gain;
    let quanta: number;
    if (lambda < 30) {
      // Knuth's method for small means.
      const l = Math.exp(-lambda);
      let k = 0;
      for (let p = rnd(); p > l; p *= rnd()) k++;
      quanta = k;
    } else quanta = Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gauss()));
    const v = Math.round(dose.gain * quanta + dose.read * gauss() + dose.offset);
    out[i] = v < 0 ? 0 : v > 65535 ? 65535 : v;
  }
  return out;
}

/** The clean phantom as the detector would show it without noise (offset added, rounded). */
export function cleanCounts(clean: Float32Array, offset: number): Uint16Array {
  return Uint16Array.from(clean, (v) => Math.min(65535, Math.max(0, Math.round(v + offset))));
}
