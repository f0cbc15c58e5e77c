import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { invoke, RemoteError, type InvocationRequest, type InvocationResponse } from './api.ts';
import { downloadFile, uploadFile } from './transfer.ts';
import type { ApiAuth } from './auth/session.ts';

export interface DenoiseOptions {
  apiEndpoint: string;
  /** The signed-in user's token, when the API has sign-in. */
  auth?: ApiAuth;
  file: string;
  /** Key of the input in the input bucket and of the result in the output bucket. */
  key: string;
  out: string;
  inBucket: string;
  outBucket: string;
  model?: InvocationRequest['model'];
  strength?: number;
  digitalOffset?: number;
  usingBits?: number;
  pixelPitch?: number;
  /** Called when a step starts: 'upload' | 'invoke' | 'download'. */
  onStep?: (step: DenoiseStep) => void;
  onProgress?: (step: DenoiseStep, done: number, total: number | undefined) => void;
}

export type DenoiseStep = 'upload' | 'invoke' | 'download';

export interface DenoiseResult {
  key: string;
  out: string;
  bytesIn: number;
  bytesOut: number;
  response: InvocationResponse;
  timings: {
    presignUploadMs: number;
    putMs: number;
    invokeMs: number;
    presignDownloadMs: number;
    getMs: number;
    totalMs: number;
  };
}

export const INVOCATION_DEFAULTS = {
  model: 'efficient',
  strength: 10,
  digitalOffset: 100,
  usingBits: 16,
  pixelPitch: 0.14,
} as const;

/** The request body for an object already uploaded; width and height are the TIFF's. */
export function invocationRequest(options: {
  inBucket: string;
  outBucket: string;
  key: string;
  outKey?: string;
  width: number;
  height: number;
  model?: InvocationRequest['model'];
  strength?: number;
  digitalOffset?: number;
  usingBits?: number;
  pixelPitch?: number;
}): InvocationRequest {
  return {
    model: options.model ?? INVOCATION_DEFAULTS.model,
    type: 'static',
    pixel_pitch: options.pixelPitch ?? INVOCATION_DEFAULTS.pixelPitch,
    img_input_url: `s3://${options.inBucket}/${options.key}`,
    img_output_url: `s3://${options.outBucket}/${options.outKey ?? options.key}`,
    digital_offset: options.digitalOffset ?? INVOCATION_DEFAULTS.digitalOffset,
    using_bits: options.usingBits ?? INVOCATION_DEFAULTS.usingBits,
    strength: options.strength ?? INVOCATION_DEFAULTS.strength,
    width: options.width,
    height: options.height,
  };
}

/** Width and height of a TIFF, read from its header. */
export async function tiffSize(file: string): Promise<{ width: number; height: number }> {
  const meta = await sharp(file)
    .metadata()
    .catch((err: Error) => {
      throw new RemoteError(`${file} is not a readable image: ${err.message}`);
    });
  if (meta.format !== 'tiff' || !meta.width || !meta.height)
    throw new RemoteError(`${file} is not a TIFF (found ${meta.format ?? 'unknown format'}): give a 16-bit grey TIFF`);
  return { width: meta.width, height: meta.height };
}

/** Upload → invoke → download, each step timed. */
export async function denoiseFile(options: DenoiseOptions): Promise<DenoiseResult> {
  const started = performance.now();
  const { width, height } = await tiffSize(options.file);
  options.onStep?.('upload');
  const up = await uploadFile({
    apiEndpoint: options.apiEndpoint,
    auth: options.auth,
    file: options.file,
    key: options.key,
    onProgress: (done, total) => options.onProgress?.('upload', done, total),
  });
  options.onStep?.('invoke');
  const request = invocationRequest({ ...options, width, height });
  const { value: response, ms: invokeMs } = await invoke(options.apiEndpoint, request, options.auth);
  options.onStep?.('download');
  const down = await downloadFile({
    apiEndpoint: options.apiEndpoint,
    auth: options.auth,
    key: options.key,
    out: options.out,
    onProgress: (done, total) => options.onProgress?.('download', done, total),
  });
  return {
    key: options.key,
    out: options.out,
    bytesIn: up.bytes,
    bytesOut: down.bytes,
    response,
    timings: {
      presignUploadMs: up.timings.presignMs,
      putMs: up.timings.putMs,
      invokeMs,
      presignDownloadMs: down.timings.presignMs,
      getMs: down.timings.getMs,
      totalMs: performance.now() - started,
    },
  };
}
