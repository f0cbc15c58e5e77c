import type { GreyImage } from './tiff.ts';
import { histogram, percentile } from './window-level.ts';

export interface ImageDefaults {
  usingBits: number;
  digitalOffset: number;
  pixelPitchUm: number;
}

export const DEFAULT_PIXEL_PITCH_UM = 140;
const TYPICAL_DIGITAL_OFFSET = 1000;

/**
 * Parameters prefilled from the image: the detector bit depth is the smallest of 8/10/12/14/16 that
 * holds the brightest pixel; the digital offset is the typical dark level (1000 DN), lowered to the
 * 0.1st percentile when the image is darker than that; the pixel pitch comes from the resolution tags.
 */
export function defaultsFor(image: GreyImage): ImageDefaults {
  const bins = histogram(image.data, image.bitsPerSample);
  let max = 0;
  for (let v = bins.length - 1; v >= 0; v--) {
    if (bins[v]) {
      max = v;
      break;
    }
  }
  const usingBits = [8, 10, 12, 14, 16].find((b) => max < 2 ** b && b <= image.bitsPerSample) ?? image.bitsPerSample;
  const dark = percentile(bins, image.data.length, 0.001);
  return {
    usingBits,
    digitalOffset: image.bitsPerSample === 8 ? 0 : Math.min(TYPICAL_DIGITAL_OFFSET, dark),
    pixelPitchUm: image.pixelPitchUm ?? DEFAULT_PIXEL_PITCH_UM,
  };
}
