// Console benchmark: what the page does with a 3072² 16-bit X-ray once it has the bytes (decode with
// geotiff, auto window from the histogram, render to RGBA through a LUT), run in Node's V8 as the
// browser runs it, beside baselines measured in the same run: sharp's native libvips decode, and a
// straightforward per-pixel float windowing. Also the page's bundle size beside geotiff's own
// browser bundle.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { buildConsoleAssets } from '../../src/console/bundle.ts';
import { decodeGreyTiff } from '../../src/console/page/tiff.ts';
import {
  autoWindow,
  histogram,
  renderWindowed,
  windowLut,
  type DisplayWindow,
} from '../../src/console/page/window-level.ts';
import { cleanPhantom, DOSES, noisyPhantom } from '../../src/denoise/phantom.ts';
import { encodeTiff } from '../../src/inference/tiff.ts';

const SIZE = Number(process.env.BENCH_SIZE ?? 3072);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t = performance.now();
    await fn();
    if (i > 0) samples.push(performance.now() - t);
  }
  return median(samples);
}
const row = (name: string, ours: number, base: number, baseName: string) =>
  console.log(
    `${name.padEnd(34)} ours ${ours.toFixed(0).padStart(5)} ms   ${baseName.padEnd(22)} ${base.toFixed(0).padStart(5)} ms   ratio ${(ours / base).toFixed(2)}`,
  );

/** The obvious way to window: per-pixel float arithmetic and clamping, no lookup table. */
function renderNaive(data: Uint16Array, win: DisplayWindow, rgba: Uint8ClampedArray): void {
  for (let i = 0; i < data.length; i++) {
    const g = Math.min(255, Math.max(0, Math.round(((data[i] - win.low) / (win.high - win.low)) * 255)));
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = g;
    rgba[4 * i + 3] = 255;
  }
}

const noisy = noisyPhantom(cleanPhantom(SIZE, 3), DOSES.g8, 4);
const files = {
  uncompressed: await sharp(noisy, { raw: { width: SIZE, height: SIZE, channels: 1 } })
    .toColourspace('grey16')
    .tiff({ compression: 'none' })
    .toBuffer(),
  'deflate+predictor': await encodeTiff({ pixels: noisy, width: SIZE, height: SIZE, bitsPerSample: 16 }),
};
console.log(`bench/console: ${SIZE}x${SIZE} 16-bit phantom, median of ${RUNS} runs after a warm-up`);

for (const [kind, file] of Object.entries(files)) {
  const ab = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  const ours = await time(() => decodeGreyTiff(ab));
  const base = await time(() => sharp(file).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer());
  row(`decode (${kind}, ${(file.length / 2 ** 20).toFixed(1)} MiB)`, ours, base, 'sharp (libvips, C)');
}

const rgba = new Uint8ClampedArray(SIZE * SIZE * 4);
const win = autoWindow(histogram(noisy, 16), noisy.length);
const ours = await time(() => renderWindowed(noisy, windowLut(16, win), rgba));
const naive = await time(() => renderNaive(noisy, win, rgba));
row('window/level render to RGBA', ours, naive, 'per-pixel float math');
const auto = await time(() => autoWindow(histogram(noisy, 16), noisy.length));
console.log(`${'auto window (histogram percentiles)'.padEnd(34)} ours ${auto.toFixed(0).padStart(5)} ms`);

const assets = await buildConsoleAssets();
const app = assets.get('app.js')!.body.length;
const all = [...assets.values()].reduce((n, a) => n + a.body.length, 0);
const require = createRequire(import.meta.url);
const geotiffBrowser = readFileSync(
  path.join(path.dirname(require.resolve('geotiff')), '..', 'dist-browser', 'geotiff.js'),
).length;
console.log(
  `${'page JS loaded up front (app.js)'.padEnd(34)} ours ${(app / 1024).toFixed(0).padStart(5)} KiB  ${"geotiff's browser bundle".padEnd(22)} ${(geotiffBrowser / 1024).toFixed(0).padStart(5)} KiB  ratio ${(app / geotiffBrowser).toFixed(2)}`,
);
console.log(`${'all console files (lazy chunks incl.)'.padEnd(34)} ours ${(all / 1024).toFixed(0).padStart(5)} KiB`);
