// A direct, loop-by-loop sliding-window DCT denoiser: the independent check of the ONNX graphs.

function dctBasis(b: number): number[][] {
  return Array.from({ length: b }, (_, u) =>
    Array.from(
      { length: b },
      (_, j) => Math.sqrt((u === 0 ? 1 : 2) / b) * Math.cos((Math.PI * (2 * j + 1) * u) / (2 * b)),
    ),
  );
}

/**
 * Every b×b block on the stride-s grid (the image must be b + k·s on each side): DCT, then hard
 * threshold at `lambda` (weight 1/kept) or, with a `pilot`, Wiener gain p²/(p² + variance) (weight
 * 1/Σgain²); DC always kept. Weighted blocks summed and divided by the summed weights.
 */
export function referenceDct(
  image: Float32Array,
  h: number,
  w: number,
  b: number,
  s: number,
  lambda: number,
  pilot?: { image: Float32Array; variance: number },
): Float32Array {
  const d = dctBasis(b);
  const num = new Float64Array(h * w);
  const den = new Float64Array(h * w);
  const tmp = new Float64Array(b * b);
  const forward = (src: Float32Array, y0: number, x0: number, out: Float64Array) => {
    for (let y = 0; y < b; y++)
      for (let v = 0; v < b; v++) {
        let a = 0;
        for (let x = 0; x < b; x++) a += d[v][x] * src[(y0 + y) * w + x0 + x];
        tmp[y * b + v] = a;
      }
    for (let u = 0; u < b; u++)
      for (let v = 0; v < b; v++) {
        let a = 0;
        for (let y = 0; y < b; y++) a += d[u][y] * tmp[y * b + v];
        out[u * b + v] = a;
      }
  };
  const c = new Float64Array(b * b);
  const p = new Float64Array(b * b);
  for (let y0 = 0; y0 + b <= h; y0 += s)
    for (let x0 = 0; x0 + b <= w; x0 += s) {
      forward(image, y0, x0, c);
      let weight: number;
      if (pilot) {
        forward(pilot.image, y0, x0, p);
        let energy = 0;
        for (let k = 0; k < b * b; k++) {
          const gain = k === 0 ? 1 : (p[k] * p[k]) / (p[k] * p[k] + pilot.variance);
          c[k] *= gain;
          energy += gain * gain;
        }
        weight = 1 / energy;
      } else {
        let kept = 0;
        for (let k = 0; k < b * b; k++) {
          if (k === 0 || Math.abs(c[k]) > lambda) kept++;
          else c[k] = 0;
        }
        weight = 1 / kept;
      }
      for (let u = 0; u < b; u++)
        for (let x = 0; x < b; x++) {
          let a = 0;
          for (let v = 0; v < b; v++) a += d[v][x] * c[u * b + v];
          tmp[u * b + x] = a;
        }
      for (let y = 0; y < b; y++)
        for (let x = 0; x < b; x++) {
          let a = 0;
          for (let u = 0; u < b; u++) a += d[u][y] * tmp[u * b + x];
          num[(y0 + y) * w + x0 + x] += a * weight;
          den[(y0 + y) * w + x0 + x] += weight;
        }
    }
  return Float32Array.from(num, (v, i) => v / den[i]);
}
