import { addDecoder, BaseDecoder } from 'geotiff';

/**
 * TIFF deflate (zlib) strips inflated by the platform's own zlib (DecompressionStream, in every
 * current browser and Node 18+) instead of geotiff's JavaScript inflate: several times faster on the
 * inference server's deflate output, and pako stays out of the bundle's hot path.
 */
class NativeDeflateDecoder extends BaseDecoder {
  async decodeBlock(buffer: ArrayBuffer): Promise<ArrayBuffer> {
    const stream = new Blob([buffer]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Response(stream).arrayBuffer();
  }
}

/** Makes geotiff use the native inflate where the platform has one. */
export function useNativeDeflate(): void {
  if (typeof DecompressionStream === 'function') addDecoder([8, 32946], () => Promise.resolve(NativeDeflateDecoder));
}
