import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createReadStream, mkdirSync, openSync, readdirSync, rmSync, statSync, type ReadStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * Content lives in `DATA_DIR/blobs/<id[0..2]>/<id>`, named by random ids: an object key or a function name
 * never becomes a path. Writes go to `DATA_DIR/tmp/`, are fsynced, then renamed into place.
 */
export class BlobStore {
  private readonly root: string;
  private readonly tmpDir: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'blobs');
    this.tmpDir = path.join(dataDir, 'tmp');
    mkdirSync(this.root, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  /** Removes temporary files left by a crash. Call once at start-up, before serving. */
  cleanupTemporaryFiles(): number {
    let removed = 0;
    for (const name of readdirSync(this.tmpDir)) {
      rmSync(path.join(this.tmpDir, name), { force: true, recursive: true });
      removed++;
    }
    return removed;
  }

  /**
   * Removes blob files that are not in `referenced` and were last written before `before` (ms since the epoch):
   * content renamed into place whose metadata row never committed. Call once at start-up, before serving.
   */
  removeUnreferenced(referenced: ReadonlySet<string>, before: number): number {
    let removed = 0;
    for (const shard of readdirSync(this.root)) {
      const dir = path.join(this.root, shard);
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (referenced.has(name) || statSync(file).mtimeMs >= before) continue;
        rmSync(file, { force: true, recursive: true });
        removed++;
      }
    }
    return removed;
  }

  /** A new temporary file to stream into; call `commit` after the stream finished, `discard` on failure. */
  createTemporary(): PendingBlob {
    const id = randomUUID().replace(/-/g, '');
    const tmpPath = path.join(this.tmpDir, id);
    return new PendingBlob(this, id, tmpPath, new TemporaryFileWriter(tmpPath));
  }

  /** The file of a blob: for state/ only (lambda-code.ts); services read blobs with `read`. */
  pathOf(id: string): string {
    if (!/^[0-9a-f]{32}$/.test(id)) throw new Error(`invalid blob id ${JSON.stringify(id)}`);
    return path.join(this.root, id.slice(0, 2), id);
  }

  /**
   * A stream of the blob (bytes `start`..`end` inclusive with a range). The file is opened before this returns, so a
   * caller that just read the metadata row gets that content even if an overwrite commits right after.
   */
  read(id: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream('', { fd: openSync(this.pathOf(id), 'r'), highWaterMark: 1 << 20, ...range });
  }

  async size(id: string): Promise<number> {
    return (await stat(this.pathOf(id))).size;
  }

  async remove(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
  }

  /** @internal */
  async install(pending: PendingBlob): Promise<string> {
    const target = this.pathOf(pending.id);
    mkdirSync(path.dirname(target), { recursive: true });
    await rename(pending.tmpPath, target);
    const dir = await open(path.dirname(target), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return pending.id;
  }
}

export class PendingBlob {
  constructor(
    private readonly store: BlobStore,
    readonly id: string,
    readonly tmpPath: string,
    readonly stream: Writable,
  ) {}

  /** Waits for the write stream to finish (its data is then on disk), renames the file into place, fsyncs the folder; returns the blob id. */
  async commit(): Promise<string> {
    if (!this.stream.writableFinished) {
      await new Promise<void>((resolve, reject) => {
        this.stream.once('finish', resolve);
        this.stream.once('error', reject);
        if (!this.stream.writableEnded) this.stream.end();
      });
    }
    await new Promise<void>((resolve) => (this.stream.closed ? resolve() : this.stream.once('close', resolve)));
    return this.store.install(this);
  }

  async discard(): Promise<void> {
    this.stream.destroy();
    await rm(this.tmpPath, { force: true });
  }
}

const SYNC_EVERY_BYTES = 32 << 20;

/**
 * Writes a new file and flushes it to disk while it is being written (one fdatasync in flight every 32 MiB),
 * so that the fsync before the rename has little left to do: receiving and disk flushing overlap.
 */
class TemporaryFileWriter extends Writable {
  private file?: FileHandle;
  private written = 0;
  private syncedUpTo = 0;
  private syncing?: Promise<void>;
  private syncError?: Error;

  constructor(private readonly filePath: string) {
    super({ highWaterMark: 4 << 20 });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.filePath, 'wx').then((file) => {
      this.file = file;
      callback();
    }, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    Promise.resolve(this.syncing)
      .then(() => {
        if (this.syncError) throw this.syncError;
        return this.file!.sync();
      })
      .then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const file = this.file;
    this.file = undefined;
    Promise.resolve(this.syncing)
      .then(() => file?.close())
      .then(
        () => callback(error),
        () => callback(error),
      );
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    if (this.syncError) throw this.syncError;
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await this.file!.writev(pending);
      this.written += bytesWritten;
      pending = skipBytes(pending, bytesWritten);
    }
    if (this.written - this.syncedUpTo >= SYNC_EVERY_BYTES && !this.syncing) {
      this.syncedUpTo = this.written;
      this.syncing = this.file!.datasync()
        .catch((err: Error) => void (this.syncError = err))
        .finally(() => (this.syncing = undefined));
    }
  }
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const b of buffers) {
    if (count >= b.length) count -= b.length;
    else {
      rest.push(count > 0 ? b.subarray(count) : b);
      count = 0;
    }
  }
  return rest;
}
