/**
 * Hand-made uncompressed 16-bit grey TIFFs whose header may lie about the data: `declared` sizes the IFD, `data`
 * bytes follow it (a truncated file gives fewer than width × height × 2, a decompression bomb none at all).
 */
export function craftTiff(declared: { width: number; height: number }, data: Uint8Array): Buffer {
  const entries: Array<[tag: number, type: number, value: number]> = [
    [256, 4, declared.width], // ImageWidth
    [257, 4, declared.height], // ImageLength
    [258, 3, 16], // BitsPerSample
    [259, 3, 1], // Compression: none
    [262, 3, 1], // PhotometricInterpretation: BlackIsZero
    [273, 4, 0], // StripOffsets (filled in below)
    [277, 3, 1], // SamplesPerPixel
    [278, 4, declared.height], // RowsPerStrip
    [279, 4, declared.width * declared.height * 2], // StripByteCounts
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdSize;
  const out = Buffer.alloc(dataOffset + data.length);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(1, at + 4);
    const v = tag === 273 ? dataOffset : value;
    if (type === 3) out.writeUInt16LE(v, at + 8);
    else out.writeUInt32LE(v >>> 0, at + 8);
  });
  out.writeUInt32LE(0, 10 + entries.length * 12);
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, dataOffset);
  return out;
}

/** A whole, valid image of `width` × `height` grey ramp samples. */
export function validTiff(width: number, height: number): Buffer {
  const samples = new Uint16Array(width * height).map((_, i) => 1000 + (i % 500));
  return craftTiff({ width, height }, new Uint8Array(samples.buffer));
}
