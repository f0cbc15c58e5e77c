import { fromArrayBuffer, getDecoder, type BaseDecoder, type GeoTIFFImage } from 'geotiff';
import { useNativeDeflate } from './native-deflate.ts';

useNativeDeflate();

/** A single-channel image as decoded from a TIFF, pixel values unchanged. */
export interface GreyImage {
  width: number;
  height: number;
  bitsPerSample: 8 | 16;
  data: Uint8Array | Uint16Array;
  /** Pixel pitch in µm from the TIFF resolution tags, when the file has them. */
  pixelPitchUm?: number;
}

/** A file the console refuses, with the reason in plain words. */
export class RefusedFileError extends Error {}

const SIGNATURES: Array<[string, number[]]> = [
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a PDF document', [0x25, 0x50, 0x44, 0x46]],
  ['a ZIP archive', [0x50, 0x4b, 0x03, 0x04]],
];

/** Throws RefusedFileError unless the bytes start like a classic or BigTIFF file. */
export function assertTiffSignature(head: Uint8Array): void {
  const tiff =
    head.length >= 4 &&
    ((head[0] === 0x49 && head[1] === 0x49 && (head[2] === 42 || head[2] === 43) && head[3] === 0) ||
      (head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && (head[3] === 42 || head[3] === 43)));
  if (tiff) return;
  const known = SIGNATURES.find(([, magic]) => magic.every((b, i) => head[i] === b));
  throw new RefusedFileError(
    `This is ${known ? known[0] : 'not a TIFF file'}, not a TIFF. Choose a 16-bit greyscale X-ray TIFF.`,
  );
}

/** Decodes the first image of a TIFF; refuses colour, palette, float and multi-channel images. */
export async function decodeGreyTiff(buffer: ArrayBuffer): Promise<GreyImage> {
  assertTiffSignature(new Uint8Array(buffer, 0, Math.min(8, buffer.byteLength)));
  let image;
  try {
    image = await (await fromArrayBuffer(buffer)).getImage(0);
  } catch (err) {
    throw new RefusedFileError(`The TIFF could not be read (${(err as Error).message}).`);
  }
  const dir = image.getFileDirectory() as Record<string, unknown>;
  const samples = image.getSamplesPerPixel();
  const photometric = dir.PhotometricInterpretation as number | undefined;
  if (samples !== 1 || (photometric !== undefined && photometric > 1)) {
    throw new RefusedFileError(
      `This TIFF is a colour image (${samples} channels); the denoiser needs a single-channel greyscale X-ray.`,
    );
  }
  const bits = image.getBitsPerSample(0) as number;
  const format = (image.getSampleFormat(0) as number | undefined) ?? 1;
  if ((bits !== 8 && bits !== 16) || format !== 1) {
    throw new RefusedFileError(
      `This TIFF has ${bits}-bit ${format === 3 ? 'floating-point' : format === 2 ? 'signed' : ''} samples; the denoiser needs unsigned 8- or 16-bit greyscale.`.replace(
        '  ',
        ' ',
      ),
    );
  }
  let data: Uint8Array | Uint16Array;
  try {
    data = await readStrips(image, bits);
  } catch (err) {
    throw new RefusedFileError(`The TIFF's pixel data could not be read (${(err as Error).message}).`);
  }
  if (photometric === 0) data = invert(data, bits === 16 ? 65535 : 255);
  return {
    width: image.getWidth(),
    height: image.getHeight(),
    bitsPerSample: bits,
    data,
    pixelPitchUm: pixelPitchFrom(dir),
  };
}

/**
 * Reads a stripped single-channel image strip by strip into one array with typed-array copies;
 * geotiff's readRasters reads every pixel through a DataView call, several times slower. Tiled
 * and big-endian images go through readRasters.
 */
async function readStrips(image: GeoTIFFImage, bits: 8 | 16): Promise<Uint8Array | Uint16Array> {
  const dir = image.getFileDirectory() as Record<string, unknown>;
  if (image.isTiled || !image.littleEndian)
    return ((await image.readRasters({ samples: [0] })) as unknown as [Uint8Array | Uint16Array])[0];
  const width = image.getWidth();
  const height = image.getHeight();
  const rowsPerStrip = image.getTileHeight();
  const out = bits === 16 ? new Uint16Array(width * height) : new Uint8Array(width * height);
  const decoder = (await getDecoder(dir)) as BaseDecoder;
  const strips = Math.ceil(height / rowsPerStrip);
  await Promise.all(
    Array.from({ length: strips }, async (_, strip) => {
      const { data } = (await image.getTileOrStrip(0, strip, 0, decoder)) as unknown as { data: ArrayBuffer };
      const pixels = Math.min(rowsPerStrip, height - strip * rowsPerStrip) * width;
      const start = strip * rowsPerStrip * width;
      if (bits === 8) return out.set(new Uint8Array(data, 0, pixels), start);
      out.set(new Uint16Array(data, 0, pixels), start);
    }),
  );
  return out;
}

/** WhiteIsZero images are stored inverted. */
function invert(data: Uint8Array | Uint16Array, max: number): Uint8Array | Uint16Array {
  const out = data instanceof Uint16Array ? new Uint16Array(data.length) : new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = max - data[i];
  return out;
}

function pixelPitchFrom(dir: Record<string, unknown>): number | undefined {
  const res = dir.XResolution as ArrayLike<number> | number | undefined;
  const unit = (dir.ResolutionUnit as number | undefined) ?? 2;
  const perUnit = typeof res === 'number' ? res : res && res.length >= 2 ? res[0] / (res[1] || 1) : undefined;
  if (!perUnit || !Number.isFinite(perUnit) || perUnit <= 1) return undefined;
  const um = unit === 3 ? 10_000 / perUnit : unit === 2 ? 25_400 / perUnit : undefined;
  // Writers' defaults (72 dpi ≈ 353 µm, 1 px/mm = 1000 µm) are no detector's pitch: ignore them.
  return um && um >= 10 && um <= 300 ? Math.round(um * 100) / 100 : undefined;
}
