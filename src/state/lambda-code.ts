import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import type { BlobStore } from './blobs.ts';

/** Lambda's limit on the unpacked size of a deployment package. */
export const MAX_UNZIPPED_BYTES = 262_144_000;

export class InvalidCodeError extends Error {}

/**
 * Function code: the zip is a blob; its unpacked tree lives in `DATA_DIR/lambda/code/<blob>/task`.
 * `DATA_DIR/lambda/code/<blob>/package.json` is `{}` so that `.js` files in the task root are CommonJS
 * as on Lambda, whatever package.json sits above the data directory.
 */
export class LambdaCodeStore {
  private readonly root: string;
  private readonly tmpDir: string;

  constructor(
    dataDir: string,
    private readonly blobs: BlobStore,
  ) {
    this.root = path.join(dataDir, 'lambda', 'code');
    this.tmpDir = path.join(dataDir, 'tmp');
    mkdirSync(this.root, { recursive: true });
  }

  /** Checks the zip, stores it as a blob and unpacks it; returns the blob id. */
  async store(zip: Uint8Array): Promise<string> {
    const files = readZip(zip);
    const pending = this.blobs.createTemporary();
    try {
      pending.stream.end(zip);
      const id = await pending.commit();
      this.unpack(id, files);
      return id;
    } catch (err) {
      await pending.discard();
      throw err;
    }
  }

  /** The directory holding the unpacked code (LAMBDA_TASK_ROOT); re-unpacks from the blob if it went missing. */
  async taskRoot(blobId: string): Promise<string> {
    const dir = this.taskDir(blobId);
    if (!existsSync(dir)) this.unpack(blobId, readZip(await readFile(this.blobs.pathOf(blobId))));
    return dir;
  }

  async zip(blobId: string): Promise<Buffer> {
    return readFile(this.blobs.pathOf(blobId));
  }

  async remove(blobId: string): Promise<void> {
    rmSync(path.join(this.root, blobId), { recursive: true, force: true });
    await this.blobs.remove(blobId);
  }

  /** Removes unpacked trees whose blob is no longer referenced. */
  removeUnreferenced(referenced: Set<string>): void {
    for (const name of readdirSync(this.root))
      if (!referenced.has(name)) rmSync(path.join(this.root, name), { recursive: true, force: true });
  }

  private taskDir(blobId: string): string {
    this.blobs.pathOf(blobId); // validates the id
    return path.join(this.root, blobId, 'task');
  }

  private unpack(blobId: string, files: Record<string, Uint8Array>): void {
    const target = path.join(this.root, blobId);
    if (existsSync(target)) return;
    const staging = path.join(this.tmpDir, `lambda-${randomUUID()}`);
    try {
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
      renameSync(staging, target);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
}

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
    throw new InvalidCodeError('Could not unzip uploaded file. Please check your file, then try to upload again.');
  }
  return files;
}
