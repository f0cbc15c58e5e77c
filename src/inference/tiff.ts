import sharp from 'sharp';

export interface DecodedImage {
  pixels: Uint16Array | Uint8Array;
  width: number;
  height: number;
  bitsPerSample: 8 | 16;
  /** Resolution as read from the file, kept on output. */
  density?: number;
  resolutionUnit?: 'inch' | 'cm';
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

/** Decodes a single-channel 8- or 16-bit TIFF to raw grey samples. */
export async function decodeTiff(data: Uint8Array): Promise<DecodedImage> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(data).metadata();
  } catch {
    throw new ImageInputError('img_input_url', 'the object is not a TIFF image');
  }
  if (meta.format !== 'tiff') throw new ImageInputError('img_input_url', `the object is not a TIFF image (found ${meta.format})`);
  if (meta.channels !== 1) throw new ImageInputError('img_input_url', `the TIFF is not single-channel (${meta.channels} channels)`);
  const sixteen = meta.depth === 'ushort' || meta.depth === 'short';
  if (!sixteen && meta.depth !== 'uchar' && meta.depth !== 'char') {
    throw new ImageInputError('img_input_url', `unsupported sample format ${meta.depth} (8- or 16-bit integers only)`);
  }
  const image = sharp(data, { limitInputPixels: 16384 * 16384 });
  const { data: raw, info } = sixteen
    ? await image.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true })
    : await image.toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new ImageInputError('img_input_url', `the TIFF is not single-channel (${info.channels} channels)`);
  const pixels = sixteen ? new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2) : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  return {
    pixels,
    width: info.width,
    height: info.height,
    bitsPerSample: sixteen ? 16 : 8,
    density: meta.density,
    resolutionUnit: meta.resolutionUnit === 'cm' ? 'cm' : meta.resolutionUnit === 'inch' ? 'inch' : undefined,
  };
}

/** Encodes grey samples as a deflate-compressed TIFF of the same bit depth and resolution. */
export async function encodeTiff(image: DecodedImage): Promise<Buffer> {
  const { pixels, width, height } = image;
  const raw = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const sixteen = image.bitsPerSample === 16;
  let pipeline = sharp(raw, { raw: { width, height, channels: 1, ...(sixteen ? { depth: 'ushort' as const } : {}) } });
  pipeline = pipeline.toColourspace(sixteen ? 'grey16' : 'b-w');
  // sharp reports density in pixels per inch and takes xres/yres in pixels per millimetre.
  const resolution = image.density ? { xres: image.density / 25.4, yres: image.density / 25.4, resolutionUnit: image.resolutionUnit ?? ('inch' as const) } : {};
  return pipeline.tiff({ compression: 'deflate', predictor: 'horizontal', ...resolution }).toBuffer();
}
