import sharp from 'sharp';

export interface DecodedImage {
  pixels: Uint16Array | Uint8Array;
  width: number;
  height: number;
  bitsPerSample: 8 | 16;
  /** Resolution tags of the file, kept on output. */
  resolution?: Resolution;
}

/** XResolution / YResolution in pixels per `unit`. */
export interface Resolution {
  x: number;
  y: number;
  unit: 'inch' | 'cm';
}

/**
 * Reads XResolution, YResolution and ResolutionUnit from the first IFD of a classic TIFF
 * (sharp's metadata rounds the density to whole DPI).
 */
export function readResolution(data: Uint8Array): Resolution | undefined {
  if (data.length < 8) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const little = data[0] === 0x49;
  if (view.getUint16(2, little) !== 42) return undefined;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > data.length) return undefined;
  const count = view.getUint16(ifd, little);
  const values = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > data.length) break;
    const tag = view.getUint16(entry, little);
    const type = view.getUint16(entry + 2, little);
    if ((tag === 282 || tag === 283) && type === 5) {
      const at = view.getUint32(entry + 8, little);
      if (at + 8 <= data.length) values.set(tag, view.getUint32(at, little) / view.getUint32(at + 4, little));
    } else if (tag === 296 && type === 3) values.set(tag, view.getUint16(entry + 8, little));
  }
  const x = values.get(282);
  const y = values.get(283) ?? x;
  const unit = values.get(296) ?? 2;
  if (!x || !y || !Number.isFinite(x) || !Number.isFinite(y) || (unit !== 2 && unit !== 3)) return undefined;
  return { x, y, unit: unit === 3 ? 'cm' : 'inch' };
}

/** Input that is not a usable image; mapped to 400 naming `field`. */
export class ImageInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

// A job's buffers go back to the allocator when it ends instead of staying in libvips' operation cache.
sharp.cache(false);

/**
 * Decodes a single-channel 8- or 16-bit TIFF to raw grey samples. Images above `maxPixels` are refused from the
 * header, before any sample is decoded.
 */
export async function decodeTiff(data: Uint8Array, maxPixels = 0x3fff * 0x3fff): Promise<DecodedImage> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(data).metadata();
  } catch {
    throw new ImageInputError('img_input_url', 'the object is not a TIFF image');
  }
  if (meta.format !== 'tiff')
    throw new ImageInputError('img_input_url', `the object is not a TIFF image (found ${meta.format})`);
  if (meta.channels !== 1)
    throw new ImageInputError('img_input_url', `the TIFF is not single-channel (${meta.channels} channels)`);
  const sixteen = meta.depth === 'ushort' || meta.depth === 'short';
  if (!sixteen && meta.depth !== 'uchar' && meta.depth !== 'char') {
    throw new ImageInputError('img_input_url', `unsupported sample format ${meta.depth} (8- or 16-bit integers only)`);
  }
  const pixelCount = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixelCount > maxPixels) {
    throw new ImageInputError(
      'img_input_url',
      `the TIFF is ${meta.width}x${meta.height} = ${pixelCount} pixels, above the limit of ${maxPixels} (DDN_INFERENCE_MAX_PIXELS)`,
    );
  }
  const image = sharp(data, { limitInputPixels: maxPixels });
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = sixteen
      ? await image.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true })
      : await image.toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new ImageInputError(
      'img_input_url',
      `the TIFF could not be decoded (truncated or corrupt): ${(err as Error).message.trim().replace(/\s*\n\s*/g, '; ')}`,
    );
  }
  const { data: raw, info } = decoded;
  if (info.channels !== 1)
    throw new ImageInputError('img_input_url', `the TIFF is not single-channel (${info.channels} channels)`);
  const pixels = sixteen
    ? new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2)
    : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  return {
    pixels,
    width: info.width,
    height: info.height,
    bitsPerSample: sixteen ? 16 : 8,
    resolution: readResolution(data),
  };
}

/** Encodes grey samples as a deflate-compressed TIFF of the same bit depth and resolution. */
export async function encodeTiff(image: DecodedImage): Promise<Buffer> {
  const { pixels, width, height } = image;
  const sixteen = image.bitsPerSample === 16;
  // sharp takes the sample depth from the typed array (a Buffer would be read as 8-bit).
  const pipeline = sharp(pixels, { raw: { width, height, channels: 1 } }).toColourspace(sixteen ? 'grey16' : 'b-w');
  // sharp takes xres/yres in pixels per millimetre.
  const r = image.resolution;
  const perMm = r?.unit === 'cm' ? 10 : 25.4;
  const resolution = r ? { xres: r.x / perMm, yres: r.y / perMm, resolutionUnit: r.unit } : {};
  return pipeline.tiff({ compression: 'deflate', predictor: 'horizontal', ...resolution }).toBuffer();
}
