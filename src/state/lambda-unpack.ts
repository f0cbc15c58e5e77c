import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';

/** Lambda's limit on the unpacked size of a deployment package. */
export const MAX_UNZIPPED_BYTES = 262_144_000;

export class InvalidCodeError extends Error {}

/** Decompresses a deployment package, refusing entries that escape the task root and packages over Lambda's size limit. */
export function readZip(zip: Uint8Array): Record<string, Uint8Array> {
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter(file) {
        const name = file.name.replace(/\\/g, '/');
        if (name.startsWith('/') || name.split('/').includes('..')) throw new InvalidCodeError(`Invalid zip entry name: ${file.name}`);
        total += file.originalSize;
        if (total > MAX_UNZIPPED_BYTES) throw new InvalidCodeError(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof InvalidCodeError) throw err;
    throw new InvalidCodeError('Could not unzip uploaded file. Please check your file, then try to upload again.');
  }
  return files;
}

/**
 * Checks and unpacks a deployment package into `staging` (`staging/task` is the task root; `staging/package.json`
 * is `{}` so that `.js` files are CommonJS as on Lambda); returns the zip's SHA-256 (base64).
 */
export function unpackZip(zip: Uint8Array, staging: string): string {
  const files = readZip(zip);
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
  }
  return createHash('sha256').update(zip).digest('base64');
}
