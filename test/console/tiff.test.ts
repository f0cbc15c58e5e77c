import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { assertTiffSignature, decodeGreyTiff, RefusedFileError } from '../../src/console/page/tiff.ts';
import { cleanPhantom, DOSES, noisyPhantom } from '../../src/denoise/phantom.ts';
import { encodeTiff } from '../../src/inference/tiff.ts';

/** A non-square crop of the inference engineer's phantom, so a width/height mix-up shows. */
function phantom16(width: number, height: number): { width: number; height: number; data: Uint16Array } {
  const size = Math.max(width, height);
  const full = noisyPhantom(cleanPhantom(size, 3), DOSES.g8, 4);
  const data = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) data.set(full.subarray(y * size, y * size + width), y * width);
  return { width, height, data };
}

function tiff16(
  image: { width: number; height: number; data: Uint16Array },
  compression: 'none' | 'lzw' | 'deflate',
): Promise<Buffer> {
  if (compression === 'deflate')
    return encodeTiff({ pixels: image.data, width: image.width, height: image.height, bitsPerSample: 16 });
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .toColourspace('grey16')
    .tiff({ compression })
    .toBuffer();
}

const toArrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

for (const compression of ['none', 'lzw', 'deflate'] as const) {
  test(`decodes a 16-bit grey TIFF (${compression}${compression === 'deflate' ? ', predictor' : ''}) value for value`, async () => {
    const image = phantom16(97, 61);
    const decoded = await decodeGreyTiff(toArrayBuffer(await tiff16(image, compression)));
    assert.equal(decoded.width, 97);
    assert.equal(decoded.height, 61);
    assert.equal(decoded.bitsPerSample, 16);
    assert.ok(decoded.data instanceof Uint16Array);
    assert.deepEqual(Array.from(decoded.data), Array.from(image.data));
  });
}

test('decodes a tiled 16-bit grey TIFF value for value', async () => {
  const image = phantom16(150, 90);
  const file = await sharp(image.data, { raw: { width: 150, height: 90, channels: 1 } })
    .toColourspace('grey16')
    .tiff({ compression: 'lzw', tile: true, tileWidth: 64, tileHeight: 64 })
    .toBuffer();
  const decoded = await decodeGreyTiff(toArrayBuffer(file));
  assert.deepEqual([decoded.width, decoded.height], [150, 90]);
  assert.deepEqual(Array.from(decoded.data), Array.from(image.data));
});

test('decodes an 8-bit grey TIFF and reads the pixel pitch from the resolution tags', async () => {
  const raw = Buffer.from(Array.from({ length: 40 * 30 }, (_, i) => i % 256));
  // sharp takes the resolution in pixels per mm: 140 µm pitch
  const file = await sharp(raw, { raw: { width: 40, height: 30, channels: 1 } })
    .toColourspace('b-w')
    .tiff({ compression: 'none', xres: 1 / 0.14, yres: 1 / 0.14, resolutionUnit: 'cm' })
    .toBuffer();
  const decoded = await decodeGreyTiff(toArrayBuffer(file));
  assert.equal(decoded.bitsPerSample, 8);
  assert.deepEqual(Array.from(decoded.data), Array.from(raw));
  assert.ok(
    decoded.pixelPitchUm !== undefined && Math.abs(decoded.pixelPitchUm - 140) < 0.5,
    `pitch ${decoded.pixelPitchUm}`,
  );
});

test('refuses a colour TIFF with a message', async () => {
  const rgb = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .tiff({ compression: 'none' })
    .toBuffer();
  await assert.rejects(
    decodeGreyTiff(toArrayBuffer(rgb)),
    (err: Error) => err instanceof RefusedFileError && /colour image \(3 channels\)/.test(err.message),
  );
});

test('refuses PNG, JPEG and unknown files by their signature', async () => {
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  await assert.rejects(
    decodeGreyTiff(toArrayBuffer(png)),
    (err: Error) => err instanceof RefusedFileError && /This is a PNG image, not a TIFF/.test(err.message),
  );
  assert.throws(() => assertTiffSignature(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), /a JPEG image/);
  assert.throws(() => assertTiffSignature(new TextEncoder().encode('hello')), /not a TIFF/);
  assert.throws(() => assertTiffSignature(new Uint8Array()), RefusedFileError);
  assertTiffSignature(new Uint8Array([0x49, 0x49, 42, 0]));
  assertTiffSignature(new Uint8Array([0x4d, 0x4d, 0, 42]));
});

test('refuses a truncated TIFF with a message instead of throwing something else', async () => {
  const file = await tiff16(phantom16(64, 64), 'none');
  await assert.rejects(decodeGreyTiff(toArrayBuffer(file.subarray(0, 12))), RefusedFileError);
});
