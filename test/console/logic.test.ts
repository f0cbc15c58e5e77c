import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  autoWindow,
  differenceRange,
  fromLevelWidth,
  histogram,
  percentile,
  renderDifference,
  renderWindowed,
  windowLut,
} from '../../src/console/page/window-level.ts';
import { fitView, imagePointAt, panBy, splitFraction, zoomAt } from '../../src/console/page/view.ts';
import {
  apiBaseFor,
  describeFailure,
  inputKeyFor,
  outputKeyFor,
  summariseInvocation,
} from '../../src/console/page/api.ts';
import { defaultsFor } from '../../src/console/page/defaults.ts';
import { cleanPhantom, DOSES, noisyPhantom } from '../../src/denoise/phantom.ts';

test('percentiles come from the histogram', () => {
  const data = Uint16Array.from({ length: 1000 }, (_, i) => i * 10);
  const bins = histogram(data, 16);
  assert.equal(percentile(bins, data.length, 0), 0);
  assert.equal(percentile(bins, data.length, 0.5), 4990);
  assert.equal(percentile(bins, data.length, 0.995), 9940);
  assert.equal(percentile(bins, data.length, 1), 9990);
  assert.deepEqual(autoWindow(bins, data.length), { low: 40, high: 9940 });
});

test('the auto window of a flat image is never empty', () => {
  const data = new Uint16Array(100).fill(1234);
  assert.deepEqual(autoWindow(histogram(data, 16), data.length), { low: 1234, high: 1235 });
});

test('the window maps low to black, high to white, monotonically in between', () => {
  const lut = windowLut(16, { low: 1000, high: 2020 });
  assert.equal(lut[0], 0);
  assert.equal(lut[1000], 0);
  assert.equal(lut[1510], 128);
  assert.equal(lut[2020], 255);
  assert.equal(lut[65535], 255);
  for (let v = 1; v < lut.length; v++) assert.ok(lut[v] >= lut[v - 1]);
  assert.deepEqual(fromLevelWidth(1500, 400), { low: 1300, high: 1700 });
});

test('windowed rendering writes opaque grey RGBA', () => {
  const data = Uint16Array.from([0, 500, 1000]);
  const rgba = new Uint8ClampedArray(12);
  renderWindowed(data, windowLut(16, { low: 0, high: 1000 }), rgba);
  assert.deepEqual(Array.from(rgba), [0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
});

test('the difference view is mid-grey where nothing changed and signed elsewhere', () => {
  const before = Uint16Array.from([100, 100, 100, 100]);
  const after = Uint16Array.from([100, 110, 90, 300]);
  const rgba = new Uint8ClampedArray(16);
  const range = renderDifference(before, after, rgba, 20);
  assert.equal(range, 20);
  assert.deepEqual([rgba[0], rgba[4], rgba[8], rgba[12]], [128, 191, 64, 255]);
  assert.equal(differenceRange(before, before), 1);
  assert.throws(() => renderDifference(before, after.subarray(1), rgba), /differ in size/);
});

test('zooming keeps the point under the cursor fixed (property)', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.1, max: 10, noNaN: true }),
      fc.double({ min: 0.5, max: 2, noNaN: true }),
      fc.integer({ min: 0, max: 800 }),
      fc.integer({ min: 0, max: 600 }),
      (scale, factor, cx, cy) => {
        const view = { scale, x: 13, y: -7 };
        const zoomed = zoomAt(view, factor, cx, cy);
        const before = [(cx - view.x) / view.scale, (cy - view.y) / view.scale];
        const after = [(cx - zoomed.x) / zoomed.scale, (cy - zoomed.y) / zoomed.scale];
        assert.ok(Math.abs(before[0] - after[0]) < 1e-6 && Math.abs(before[1] - after[1]) < 1e-6);
      },
    ),
  );
});

test('fit centres the whole image; pan and pixel lookup agree', () => {
  const view = fitView(200, 100, 400, 400);
  assert.deepEqual(view, { scale: 2, x: 0, y: 100 });
  assert.deepEqual(imagePointAt(view, 0, 100, 200, 100), { x: 0, y: 0 });
  assert.deepEqual(imagePointAt(view, 399, 299, 200, 100), { x: 199, y: 99 });
  assert.equal(imagePointAt(view, 10, 50, 200, 100), undefined);
  assert.deepEqual(imagePointAt(panBy(view, 20, 0), 20, 100, 200, 100), { x: 0, y: 0 });
  assert.equal(zoomAt(view, 1e9, 0, 0).scale, 64);
});

test('the split divider stays inside the canvas', () => {
  assert.equal(splitFraction(150, 100, 200), 0.25);
  assert.equal(splitFraction(50, 100, 200), 0);
  assert.equal(splitFraction(900, 100, 200), 1);
  assert.equal(splitFraction(10, 0, 0), 0.5);
});

test('local API endpoints are reached through the page origin; remote ones as given', () => {
  const page = 'http://localhost:4566';
  assert.equal(
    apiBaseFor('http://abc123.execute-api.localhost:4566', page),
    'http://localhost:4566/_aws/execute-api/abc123',
  );
  assert.equal(
    apiBaseFor('http://127.0.0.1:4566/_aws/execute-api/abc123/', page),
    'http://localhost:4566/_aws/execute-api/abc123',
  );
  assert.equal(
    apiBaseFor('http://127.0.0.1:9999/_aws/execute-api/abc123', page),
    'http://127.0.0.1:9999/_aws/execute-api/abc123',
  );
  assert.equal(
    apiBaseFor('https://x1y2.execute-api.eu-west-1.amazonaws.com/', page),
    'https://x1y2.execute-api.eu-west-1.amazonaws.com',
  );
  assert.equal(
    apiBaseFor('https://x1y2.execute-api.eu-west-1.amazonaws.com/prod', page),
    'https://x1y2.execute-api.eu-west-1.amazonaws.com/prod',
  );
});

test('failures are described in plain words from JSON, S3 XML or the status', () => {
  assert.equal(
    describeFailure('The denoising request', 500, '{"message":"model not found"}'),
    'The denoising request failed with HTTP 500: model not found',
  );
  assert.equal(
    describeFailure(
      'The upload',
      403,
      '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
    ),
    'The upload failed with HTTP 403 (access denied — the presigned URL may have expired): AccessDenied: Request has expired',
  );
  assert.equal(
    describeFailure('The download', 503, ''),
    'The download failed with HTTP 503 (the service behind the API is not available).',
  );
  assert.equal(describeFailure('X', 0, 'Failed to fetch'), 'X could not reach the server: Failed to fetch');
  assert.equal(
    describeFailure('Asking for an upload URL', 400, 'file parameter is required'),
    'Asking for an upload URL failed with HTTP 400: file parameter is required',
    "the presign function's plain-text errors",
  );
});

test('object keys are safe, unique per upload and keep the input name', () => {
  const key = inputKeyFor('my scan (1).TIFF', 1_700_000_000_000);
  assert.equal(key, 'console/loyw3v28-my_scan_1_.tif');
  assert.match(outputKeyFor(key, 'efficient', 10), /^console\/loyw3v28-my_scan_1__efficient_s10\.tif$/);
  assert.equal(inputKeyFor('.tif', 0), 'console/0-image.tif');
});

test('parameters are prefilled from the image', () => {
  const image = {
    width: 64,
    height: 64,
    data: noisyPhantom(cleanPhantom(64, 1), DOSES.g8, 2),
    bitsPerSample: 16 as const,
  };
  const d = defaultsFor(image);
  assert.equal(d.usingBits, 16);
  assert.ok(d.digitalOffset > 0 && d.digitalOffset <= 1000);
  assert.equal(d.pixelPitchUm, 140);
  const dim = {
    width: 2,
    height: 2,
    bitsPerSample: 16 as const,
    data: Uint16Array.from([0, 10, 200, 4000]),
    pixelPitchUm: 75,
  };
  assert.deepEqual(defaultsFor(dim), { usingBits: 12, digitalOffset: 0, pixelPitchUm: 75 });
});

test('the server timings and warnings are summarised in one line', () => {
  assert.equal(
    summariseInvocation('{"timings_ms":{"download":12.4,"denoise":830,"note":"x"},"warnings":["8-bit input"]}'),
    'server: download 12 ms, denoise 830 ms — warnings: 8-bit input',
  );
  assert.equal(summariseInvocation('{"status":"ok"}'), '');
  assert.equal(summariseInvocation('not json'), '');
});
