import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { presign, RemoteError } from './api.ts';
import type { ApiAuth } from './auth/session.ts';

/** Called with the bytes moved so far and the total when known. */
export type ProgressCallback = (done: number, total: number | undefined) => void;

export interface UploadResult {
  key: string;
  bytes: number;
  timings: { presignMs: number; putMs: number; totalMs: number };
}

export interface DownloadResult {
  key: string;
  bytes: number;
  path: string;
  timings: { presignMs: number; getMs: number; totalMs: number };
}

/** Presigns through the API, then streams the file to S3 with one PUT. */
export async function uploadFile(options: {
  apiEndpoint: string;
  auth?: ApiAuth;
  file: string;
  key: string;
  onProgress?: ProgressCallback;
}): Promise<UploadResult> {
  const started = performance.now();
  const size = (await stat(options.file)).size;
  const { value: url, ms: presignMs } = await presign(options.apiEndpoint, 'upload', options.key, options.auth);
  const putMs = await putFile(url, options.file, size, options.onProgress);
  return { key: options.key, bytes: size, timings: { presignMs, putMs, totalMs: performance.now() - started } };
}

/** Presigns through the API, then streams the object into `out` atomically (temp file, fsync, rename). */
export async function downloadFile(options: {
  apiEndpoint: string;
  auth?: ApiAuth;
  key: string;
  out: string;
  onProgress?: ProgressCallback;
}): Promise<DownloadResult> {
  const started = performance.now();
  const { value: url, ms: presignMs } = await presign(options.apiEndpoint, 'download', options.key, options.auth);
  const { bytes, ms: getMs } = await getToFile(url, options.out, options.onProgress);
  return {
    key: options.key,
    bytes,
    path: options.out,
    timings: { presignMs, getMs, totalMs: performance.now() - started },
  };
}

/** PUT of a file to a presigned URL; returns the milliseconds it took. */
export async function putFile(url: string, file: string, size: number, onProgress?: ProgressCallback): Promise<number> {
  const started = performance.now();
  const body = createReadStream(file, { highWaterMark: 1 << 20 }).pipe(counter(size, onProgress));
  let res;
  try {
    res = await request(url, { method: 'PUT', body, headers: { 'content-length': String(size) } });
  } catch (err) {
    throw new RemoteError(`PUT to S3 failed: ${(err as Error).message}. Is the platform up?`);
  }
  const text = await res.body.text();
  if (res.statusCode >= 300) throw s3Error('PUT', res.statusCode, text);
  return performance.now() - started;
}

/** GET of a presigned URL into `out` through a temporary file in the same folder. */
export async function getToFile(
  url: string,
  out: string,
  onProgress?: ProgressCallback,
): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  let res;
  try {
    res = await request(url, { method: 'GET' });
  } catch (err) {
    throw new RemoteError(`GET from S3 failed: ${(err as Error).message}. Is the platform up?`);
  }
  if (res.statusCode >= 300) throw s3Error('GET', res.statusCode, await res.body.text());
  const total = Number(res.headers['content-length']) || undefined;
  const tmp = path.join(path.dirname(path.resolve(out)), `.${path.basename(out)}.${process.pid}.${Date.now()}.part`);
  let bytes = 0;
  try {
    await pipeline(
      res.body,
      counter(total, (done, t) => ((bytes = done), onProgress?.(done, t))),
      createWriteStream(tmp),
    );
    const handle = await open(tmp, 'r');
    await handle.sync().finally(() => handle.close());
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { bytes, ms: performance.now() - started };
}

function counter(total: number | undefined, onProgress?: ProgressCallback): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      onProgress?.(done, total);
      callback(null, chunk);
    },
    flush(callback) {
      onProgress?.(done, total);
      callback();
    },
  });
}

function s3Error(method: string, status: number, xml: string): RemoteError {
  const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1];
  const hint =
    code === 'NoSuchKey'
      ? ' (no such object: check the key, or run ddn invoke / ddn denoise first)'
      : code === 'AccessDenied' || code === 'SignatureDoesNotMatch'
        ? ' (the presigned URL was refused: it may have expired; ask for a new one)'
        : '';
  return new RemoteError(
    `${method} to S3 answered ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}${hint}`,
    status,
    xml,
  );
}
