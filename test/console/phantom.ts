import sharp from 'sharp';

/** A small 16-bit test image: offset 1000, a bright disc, a gradient and deterministic noise. */
export function phantom16(width: number, height: number, seed = 1): { width: number; height: number; data: Uint16Array } {
  const data = new Uint16Array(width * height);
  let state = seed >>> 0 || 1;
  const noise = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 2 ** 32 - 0.5) * 800;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - width / 2, y - height / 2);
      const base = 1000 + (x / width) * 20000 + (r < Math.min(width, height) / 4 ? 25000 : 0);
      data[y * width + x] = Math.max(0, Math.min(65535, Math.round(base + noise())));
    }
  }
  return { width, height, data };
}

/** Writes a single-channel 16-bit TIFF (see spec/denoise.md for the two sharp traps). */
export function tiff16(image: { width: number; height: number; data: Uint16Array }, compression: 'none' | 'lzw' | 'deflate' = 'none'): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1, premultiplied: false } })
    .toColourspace('grey16')
    .tiff({ compression })
    .toBuffer();
}
