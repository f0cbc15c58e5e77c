import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';

/** Lambda's limit on the unpacked size of a deployment package. */
export const MAX_UNZIPPED_BYTES = 262_144_000;

export class InvalidCodeError extends Error {}

/** Lambda's message for a package that is not a zip. */
const BAD_ZIP = 'Could not unzip uploaded file. Please check your file, then try to upload again.';

/** Decompresses a deployment package, refusing entries that escape the task root and packages over Lambda's size limit. */
export function readZip(zip: Uint8Array): Record<string, Uint8Array> {
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter(file) {
        const name = file.name.replace(/\\/g, '/');
        if (name.startsWith('/') || name.split('/').includes('..'))
          throw new InvalidCodeError(`Invalid zip entry name: ${file.name}`);
        total += file.originalSize;
        if (total > MAX_UNZIPPED_BYTES)
          throw new InvalidCodeError(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof InvalidCodeError) throw err;
    throw new InvalidCodeError(BAD_ZIP);
  }
  return files;
}

/** The unpacked size of a zip's files, read from its directory (nothing is decompressed). */
export function unzippedSize(zip: Uint8Array): number {
  let total = 0;
  try {
    unzipSync(zip, {
      filter(file) {
        total += file.originalSize;
        return false;
      },
    });
  } catch {
    throw new InvalidCodeError(BAD_ZIP);
  }
  return total;
}

/**
 * Checks and unpacks a deployment package into `staging` (`staging/task` is the task root; `staging/package.json`
 * is `{}` so that `.js` files are CommonJS as on Lambda); returns the zip's SHA-256 (base64). Files already in
 * `staging/task` are overwritten (a function's layers are unpacked one over the other).
 */
export function unpackZip(zip: Uint8Array, staging: string): string {
  const files = readZip(zip);
  const modes = unixModes(zip);
  const task = path.join(staging, 'task');
  mkdirSync(task, { recursive: true });
  writeFileSync(path.join(staging, 'package.json'), '{}\n');
  for (const [name, data] of Object.entries(files)) {
    const file = path.join(task, name);
    if (name.endsWith('/')) {
      mkdirSync(file, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
    // Executables (a custom runtime's `bootstrap`) keep their x bits, as on Lambda.
    if (((modes.get(name) ?? 0) & 0o111) !== 0) chmodSync(file, 0o755);
  }
  return createHash('sha256').update(zip).digest('base64');
}

/** The Unix file modes a zip records for its entries (made on Unix: the high half of the external attributes). */
function unixModes(zip: Uint8Array): Map<string, number> {
  const modes = new Map<string, number>();
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end === -1) return modes;
  const entries = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  for (let n = 0; n < entries && at + 46 <= zip.length && view.getUint32(at, true) === 0x02014b50; n++) {
    const madeOnUnix = view.getUint8(at + 5) === 3;
    const nameLength = view.getUint16(at + 28, true);
    const skip = view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const name = Buffer.from(zip.subarray(at + 46, at + 46 + nameLength))
      .toString('utf8')
      .replace(/\\/g, '/');
    if (madeOnUnix) modes.set(name, view.getUint32(at + 38, true) >>> 16);
    at += 46 + nameLength + skip;
  }
  return modes;
}
