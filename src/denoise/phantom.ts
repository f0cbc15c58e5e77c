// A synthetic dental X-ray phantom with Poisson–Gaussian noise, deterministic for a seed.

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

/**
 * Clean signal in DN above the offset, `size`²: open field, a soft-tissue jaw with a trabecular
 * bone texture, teeth (enamel caps, dentine, pulp canals), a metal filling and a line-pair pattern.
 */
export function cleanPhantom(size: number, seed = 1): Float32Array {
  const rnd = seededRandom(seed);
  const img = new Float32Array(size * size);
  // Low-frequency texture for bone: a sum of random cosines.
  const waves = Array.from({ length: 24 }, () => ({ fx: (rnd() - 0.5) * 60, fy: (rnd() - 0.5) * 60, ph: rnd() * 6.283, a: 0.5 + rnd() }));
  const teeth = Array.from({ length: 7 }, (_, i) => ({ cx: 0.2 + i * 0.1, cy: 0.5 + (rnd() - 0.5) * 0.04, rx: 0.035 + rnd() * 0.01, ry: 0.16 + rnd() * 0.03 }));
  for (let py = 0; py < size; py++) {
    const y = (py + 0.5) / size;
    for (let px = 0; px < size; px++) {
      const x = (px + 0.5) / size;
      let v = 52000 - 6000 * y; // open field with a heel-effect ramp
      const jaw = ((x - 0.5) / 0.46) ** 2 + ((y - 0.55) / 0.32) ** 2;
      if (jaw < 1) {
        let tex = 0;
        for (const w of waves) tex += w.a * Math.cos(6.283 * (w.fx * x + w.fy * y) + w.ph);
        v = 30000 - 4000 * (1 - jaw) + 900 * tex;
      }
      for (const t of teeth) {
        const r = ((x - t.cx) / t.rx) ** 2 + ((y - t.cy) / t.ry) ** 2;
        if (r < 1) {
          const crown = y < t.cy - t.ry * 0.45;
          v = crown ? 7000 : 14000 + 3000 * r;
          if (Math.abs(x - t.cx) < t.rx * 0.15 && Math.abs(y - t.cy) < t.ry * 0.7) v = 22000; // pulp canal
        }
      }
      if (((x - 0.42) / 0.03) ** 2 + ((y - 0.36) / 0.02) ** 2 < 1) v = 1500; // filling
      // Line pairs: bars of 1..6 px period in the top-left corner.
      if (y > 0.04 && y < 0.14 && x > 0.04 && x < 0.4) {
        const group = Math.floor((x - 0.04) / 0.06);
        const period = 2 * (6 - group);
        v = Math.floor(px / (period / 2)) % 2 ? 12000 : 36000;
      }
      img[py * size + px] = v;
    }
  }
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
