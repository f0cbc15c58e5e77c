// Image quality metrics against a reference, over the whole image, peak 65535 by default.

export function psnr(reference: ArrayLike<number>, test: ArrayLike<number>, peak = 65535): number {
  let sum = 0;
  for (let i = 0; i < reference.length; i++) sum += (reference[i] - test[i]) ** 2;
  return 10 * Math.log10((peak * peak) / (sum / reference.length));
}

/** Mean SSIM over 8×8 windows on a stride-4 grid (the standard constants K1 = 0.01, K2 = 0.03). */
export function ssim(
  reference: ArrayLike<number>,
  test: ArrayLike<number>,
  width: number,
  height: number,
  peak = 65535,
): number {
  const c1 = (0.01 * peak) ** 2;
  const c2 = (0.03 * peak) ** 2;
  let total = 0;
  let count = 0;
  for (let y0 = 0; y0 + 8 <= height; y0 += 4) {
    for (let x0 = 0; x0 + 8 <= width; x0 += 4) {
      let sa = 0,
        sb = 0,
        saa = 0,
        sbb = 0,
        sab = 0;
      for (let y = y0; y < y0 + 8; y++) {
        for (let x = x0; x < x0 + 8; x++) {
          const a = reference[y * width + x];
          const b = test[y * width + x];
          sa += a;
          sb += b;
          saa += a * a;
          sbb += b * b;
          sab += a * b;
        }
      }
      const ma = sa / 64,
        mb = sb / 64;
      const va = saa / 64 - ma * ma,
        vb = sbb / 64 - mb * mb,
        cov = sab / 64 - ma * mb;
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      count++;
    }
  }
  return total / count;
}
