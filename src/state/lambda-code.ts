import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { BlobStore } from './blobs.ts';
import { InvalidCodeError, unzippedSize } from './lambda-unpack.ts';

export { InvalidCodeError, MAX_UNZIPPED_BYTES, unzippedSize } from './lambda-unpack.ts';

/** Worker threads do not inherit tsx's loader: this boot file registers it and loads `entry`. */
const WORKER_BOOT = new URL('../denoise/worker-boot.mjs', import.meta.url);
const UNPACK_WORKER = new URL('./lambda-unpack-worker.ts', import.meta.url).href;

/**
 * Function and layer code: the zip is a blob; its unpacked tree lives in `DATA_DIR/lambda/code/<blob>/task`.
 * `DATA_DIR/lambda/code/<blob>/package.json` is `{}` so that `.js` files in the task root are CommonJS
 * as on Lambda, whatever package.json sits above the data directory. A function's layers, unpacked one over the
 * other (its `/opt`), live in `DATA_DIR/lambda/opt/<hash of the layers' blobs>/task`, rebuilt after a restart.
 */
export class LambdaCodeStore {
  private readonly root: string;
  private readonly optRoot: string;
  private readonly tmpDir: string;
  private readonly unzippedSizes = new Map<string, number>();

  constructor(
    dataDir: string,
    private readonly blobs: BlobStore,
  ) {
    this.root = path.join(dataDir, 'lambda', 'code');
    this.optRoot = path.join(dataDir, 'lambda', 'opt');
    this.tmpDir = path.join(dataDir, 'tmp');
    mkdirSync(this.root, { recursive: true });
    rmSync(this.optRoot, { recursive: true, force: true });
    mkdirSync(this.optRoot, { recursive: true });
  }

  /**
   * Checks and unpacks the zip (in a worker thread: a large package takes a while) and stores it as a blob;
   * returns the blob id and the zip's SHA-256 (base64).
   */
  async store(zip: Uint8Array): Promise<{ id: string; sha256: string }> {
    const staging = this.stagingDir();
    try {
      const sha256 = await unpackInWorker([zip], staging);
      const pending = this.blobs.createTemporary();
      let id: string;
      try {
        pending.stream.end(zip);
        id = await pending.commit();
      } catch (err) {
        await pending.discard();
        throw err;
      }
      await this.place(id, staging);
      return { id, sha256 };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** The directory holding the unpacked code (LAMBDA_TASK_ROOT); re-unpacks from the blob if it went missing. */
  async taskRoot(blobId: string): Promise<string> {
    const dir = this.taskDir(blobId);
    if (existsSync(dir)) return dir;
    const staging = this.stagingDir();
    try {
      await unpackInWorker([await readFile(this.blobs.pathOf(blobId))], staging);
      await this.place(blobId, staging);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return dir;
  }

  /** The directory holding the layers `blobIds` unpacked in order, the later over the earlier (the `/opt`). */
  async layersRoot(blobIds: readonly string[]): Promise<string> {
    const name = createHash('sha256').update(blobIds.join(',')).digest('hex').slice(0, 32);
    const target = path.join(this.optRoot, name);
    const dir = path.join(target, 'task');
    if (existsSync(dir)) return dir;
    const staging = this.stagingDir();
    try {
      const zips = await Promise.all(blobIds.map((id) => readFile(this.blobs.pathOf(id))));
      await unpackInWorker(zips, staging);
      // Another environment of the same layers may have placed them meanwhile: theirs is kept.
      await rename(staging, target).catch((err: unknown) => {
        if (!existsSync(target)) throw err;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return dir;
  }

  async zip(blobId: string): Promise<Buffer> {
    return readFile(this.blobs.pathOf(blobId));
  }

  /** The unpacked size of a stored zip's files (a blob never changes: each is read once). */
  async unzippedSize(blobId: string): Promise<number> {
    let size = this.unzippedSizes.get(blobId);
    if (size === undefined) {
      size = unzippedSize(await this.zip(blobId));
      this.unzippedSizes.set(blobId, size);
    }
    return size;
  }

  async remove(blobId: string): Promise<void> {
    this.unzippedSizes.delete(blobId);
    await rm(path.join(this.root, blobId), { recursive: true, force: true });
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

  private stagingDir(): string {
    mkdirSync(this.tmpDir, { recursive: true });
    return path.join(this.tmpDir, `lambda-${randomUUID()}`);
  }

  /** Moves an unpacked tree into place as the code of `blobId` (kept if another request placed it first). */
  private async place(blobId: string, staging: string): Promise<void> {
    const target = path.join(this.root, blobId);
    if (existsSync(target)) return;
    await rename(staging, target);
  }
}

/** Unpacks `zips` in order into `staging` in a worker thread; resolves to the last zip's SHA-256 (base64). */
function unpackInWorker(zips: Uint8Array[], staging: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_BOOT, { workerData: { entry: UNPACK_WORKER, zips, staging } });
    worker.once('message', (m: { sha256?: string; error?: string; invalid?: boolean }) => {
      if (m.sha256 !== undefined) resolve(m.sha256);
      else reject(m.invalid ? new InvalidCodeError(m.error) : new Error(m.error));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the unpacking worker exited with ${code}`)));
  });
}
