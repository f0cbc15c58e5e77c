import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDctThresholdModel } from '../../src/denoise/dct-model.ts';
import { BUILT_IN_MODELS, builtInTiling, loadModelSource, MODEL_NAMES } from '../../src/denoise/models.ts';
import { estimateNoise } from '../../src/denoise/noise.ts';
import { cleanCounts, cleanPhantom, DOSES, noisyPhantom } from '../../src/denoise/phantom.ts';
import { denoisePixels } from '../../src/denoise/pipeline.ts';
import { psnr } from '../../src/denoise/quality.ts';
import { ModelSession } from '../../src/denoise/session.ts';
import { TileWorkers } from '../../src/denoise/tile-workers.ts';
import { forwardGat, inverseGat, inverseGatFunction } from '../../src/denoise/gat.ts';
import { referenceDct } from './reference-dct.ts';

const SIZE = 512;
const clean = cleanPhantom(SIZE);
const reference = cleanCounts(clean, DOSES.g8.offset);
const noisy = noisyPhantom(clean, DOSES.g8);
const params = { width: SIZE, height: SIZE, digitalOffset: DOSES.g8.offset, usingBits: 16 };

test('the DCT graph is the identity at strength 0 (forward and inverse transforms match)', async () => {
  for (const spec of [...Object.values(BUILT_IN_MODELS), { block: 8, stride: 3, wiener: { block: 16, stride: 2 } }]) {
    const session = await ModelSession.load(
      {
        name: 'efficient',
        bytes: buildDctThresholdModel(spec),
        tiling: { tile: 64, margin: spec.block, align: spec.stride },
        origin: 'test',
      },
      1,
    );
    const n = spec.block + 10 * spec.stride;
    const tile = Float32Array.from({ length: n * n }, (_, i) => 40 + 5 * Math.sin(i / 3) + (i % 7));
    const out = await session.denoiser(0)(tile, n, n);
    const maxError = out.reduce((m, v, i) => Math.max(m, Math.abs(v - tile[i])), 0);
    assert.ok(maxError < 1e-3, `block ${spec.block} stride ${spec.stride}: max error ${maxError}`);
    await session.release();
  }
});

test('the DCT graphs compute what a direct loop-by-loop implementation computes (hard threshold, then Wiener)', async () => {
  for (const spec of [
    ...Object.values(BUILT_IN_MODELS),
    { block: 8, stride: 2 },
    { block: 8, stride: 3, wiener: { block: 16, stride: 2 } },
  ]) {
    const session = await ModelSession.load(
      {
        name: 'efficient',
        bytes: buildDctThresholdModel(spec),
        tiling: { tile: 64, margin: 0, align: 1 },
        origin: 'test',
      },
      1,
    );
    const n = 72;
    const tile = Float32Array.from(
      { length: n * n },
      (_, i) => 40 + 6 * Math.sin(i / 5) + 3 * Math.sin(i * 1.7) + (((i * 7919) % 13) - 6) / 3,
    );
    const strength = 0.5;
    const hard = referenceDct(tile, n, n, spec.block, spec.stride, 6.6 * strength);
    const want = spec.wiener
      ? referenceDct(tile, n, n, spec.wiener.block, spec.wiener.stride, 0, {
          image: hard,
          variance: (2 * strength) ** 2,
        })
      : hard;
    const got = await session.denoiser(strength)(tile.slice(), n, n);
    // The graph pads the bottom and right edges to fit its grid: compare the pixels a margin away from them.
    const inner = n - builtInTiling(spec).margin;
    const compared = (_: number, i: number) => Math.floor(i / n) < inner && i % n < inner;
    const [gotInner, wantInner, tileInner] = [got, want, tile].map((a) => a.filter(compared));
    const maxError = gotInner.reduce((m, v, i) => Math.max(m, Math.abs(v - wantInner[i])), 0);
    const change = wantInner.reduce((m, v, i) => Math.max(m, Math.abs(v - tileInner[i])), 0);
    assert.ok(change > 1, `the reference changes the tile (max ${change})`);
    assert.ok(maxError < 1e-3, `${JSON.stringify(spec)}: max error ${maxError}`);
    await session.release();
  }
});

test('the DCT graphs accept any tile size and return it unchanged in shape', async () => {
  const session = await ModelSession.load(
    {
      name: 'efficient',
      bytes: buildDctThresholdModel(BUILT_IN_MODELS.efficient),
      tiling: { tile: 64, margin: 0, align: 1 },
      origin: 'test',
    },
    1,
  );
  for (const [h, w] of [
    [8, 9],
    [41, 50],
    [37, 64],
  ]) {
    const tile = Float32Array.from({ length: h * w }, (_, i) => 30 + (i % 5));
    const out = await session.denoiser(0)(tile.slice(), h, w);
    assert.equal(out.length, h * w);
    assert.ok(
      out.every((v, i) => Math.abs(v - tile[i]) < 1e-3),
      `${h}x${w} at strength 0 is the identity`,
    );
  }
  await session.release();
});

test('the noise estimate finds the gain of the phantom within 8 %', () => {
  for (const dose of Object.values(DOSES)) {
    const image = noisyPhantom(clean, dose, 7);
    const { gain } = estimateNoise(image, SIZE, SIZE, dose.offset);
    assert.ok(Math.abs(gain / dose.gain - 1) < 0.08, `gain ${gain} for true ${dose.gain}`);
  }
});

test('the inverse of the GAT is unbiased at low counts: inverse(E[GAT(z)]) = E[z]', () => {
  const noise = { gain: 1, readVariance: 0 };
  for (const lambda of [2, 5, 20]) {
    let expected = 0;
    let pmf = Math.exp(-lambda);
    for (let k = 0; k < 200; k++) {
      expected += pmf * forwardGat(k, noise);
      pmf *= lambda / (k + 1);
    }
    const estimate = inverseGat(expected, noise);
    assert.ok(Math.abs(estimate / lambda - 1) < 0.02, `λ ${lambda}: ${estimate}`);
  }
});

// Measured: efficient +11.9 dB, powerful +13.9 dB; the margin catches a loss of about 1 dB.
test('both models raise the PSNR of the 512² phantom by at least 11 dB (gain 8)', async () => {
  const before = psnr(reference, noisy);
  for (const name of MODEL_NAMES) {
    const session = await ModelSession.load(loadModelSource(name), 2);
    const { pixels } = await denoisePixels(noisy, params, session.source.tiling, session.denoiser(0.5));
    const after = psnr(reference, pixels);
    assert.ok(after - before >= 11, `${name}: ${before.toFixed(2)} dB → ${after.toFixed(2)} dB`);
    await session.release();
  }
});

test('tiles are seamless: small tiles give the same pixels as one tile', async () => {
  const crop = 200;
  const part = new Uint16Array(crop * crop);
  for (let y = 0; y < crop; y++) part.set(noisy.subarray(y * SIZE, y * SIZE + crop), y * crop);
  const cropParams = { ...params, width: crop, height: crop };
  for (const name of MODEL_NAMES) {
    const session = await ModelSession.load(loadModelSource(name), 2);
    const { tiling } = session.source;
    const whole = await denoisePixels(part, cropParams, { ...tiling, tile: 256 }, session.denoiser(0.5));
    const tiled = await denoisePixels(part, cropParams, { ...tiling, tile: 50 }, session.denoiser(0.5));
    const differing = tiled.pixels.filter((v, i) => v !== whole.pixels[i]).length;
    assert.equal(differing, 0, `${name}: ${differing} pixels differ`);
    await session.release();
  }
});

test('the output is clipped to using_bits and keeps 8-bit input 8-bit', async () => {
  const session = await ModelSession.load(loadModelSource('efficient'), 1);
  const { pixels } = await denoisePixels(
    noisy.subarray(0, 128 * 128),
    { ...params, width: 128, height: 128, usingBits: 12 },
    session.source.tiling,
    session.denoiser(0.5),
  );
  assert.ok(pixels.every((v) => v <= 4095));
  const eight = Uint8Array.from({ length: 64 * 64 }, (_, i) => 100 + (i % 13));
  const out8 = await denoisePixels(
    eight,
    { width: 64, height: 64, digitalOffset: 0, usingBits: 16 },
    session.source.tiling,
    session.denoiser(0.5),
  );
  assert.ok(out8.pixels instanceof Uint8Array);
  await session.release();
});

test('the write-back rounds the unbiased inverse to the nearest DN (Math.round) and clips to using_bits', async () => {
  const side = 64;
  const input = Uint16Array.from({ length: side * side }, (_, i) => (i * 7919) % 4500);
  const offset = 0;
  // A denoiser that moves every GAT value by a different amount, down to below 1 and up past the clip.
  const shifted = (tile: Float32Array) => tile.map((v, i) => v * (0.2 + ((i * 31) % 97) / 60) - (i % 5) * 0.37);
  const { pixels, noise } = await denoisePixels(
    input,
    { width: side, height: side, digitalOffset: offset, usingBits: 12 },
    { tile: side, margin: 0, align: 1 },
    (tile) => Promise.resolve(shifted(tile)),
  );
  const inverse = inverseGatFunction(noise);
  const gat = shifted(Float32Array.from(input, (v) => forwardGat(Math.max(0, v - offset), noise)));
  const want = Uint16Array.from(gat, (d) => Math.min(4095, Math.max(0, Math.round(inverse(d) + offset))));
  assert.ok(
    want.includes(0) && want.includes(4095) && new Set(want).size > 1000,
    'the case reaches 0, the clip and many values between',
  );
  assert.deepEqual(pixels, want);
});

test('tile workers running tiles in parallel give the pixels of one in-thread session', async () => {
  const workers = await TileWorkers.start(2);
  try {
    for (const name of MODEL_NAMES) {
      const session = await ModelSession.load(loadModelSource(name), 1);
      const inThread = await denoisePixels(
        noisy,
        params,
        { ...session.source.tiling, tile: 96 },
        session.denoiser(0.5),
      );
      const parallel = await denoisePixels(
        noisy,
        params,
        { ...workers.models[name].tiling, tile: 96 },
        workers.denoiser(name, 0.5),
        workers.size,
      );
      assert.equal(workers.models[name].origin, session.source.origin);
      const differing = parallel.pixels.filter((v, i) => v !== inThread.pixels[i]).length;
      assert.equal(differing, 0, `${name}: ${differing} pixels differ`);
      await session.release();
    }
  } finally {
    await workers.close();
  }
});

test('a tile worker that has died marks its set broken, and its tiles fail at once instead of waiting', async () => {
  const workers = await TileWorkers.start(1);
  assert.equal(workers.broken, false);
  await workers.close();
  assert.equal(workers.broken, true);
  await assert.rejects(workers.denoiser('efficient', 0.5)(new Float32Array(64 * 64), 64, 64), /exited/);
});
