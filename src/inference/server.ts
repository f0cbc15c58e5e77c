import http from 'node:http';
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import { createLogger, type Logger } from '../config/logger.ts';
import { collectGarbage } from '../denoise/collect-garbage.ts';
import { DenoisePool, JobAbortedError } from '../denoise/pool.ts';
import { BusyError, JobLimiter } from './job-limiter.ts';
import { parseInvocation, parseS3Url, type InvocationRequest } from './schema.ts';
import { createS3Client, getObjectBytes, MissingObjectError, putObjectBytes } from './s3-io.ts';
import { decodeTiff, encodeTiff, ImageInputError, type DecodedImage } from './tiff.ts';
import { defaultMaxPixels } from './limits.ts';

export interface InferenceServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Jobs run at once (DDN_INFERENCE_CONCURRENCY). */
  concurrency?: number;
  /** Jobs waiting behind the running ones before 503 Busy; default 2 × concurrency. */
  maxQueued?: number;
  /** A job running longer fails with 500 (DDN_INFERENCE_TIMEOUT_S). */
  timeoutS?: number;
  /** Images with more pixels are refused with 400 before decoding (DDN_INFERENCE_MAX_PIXELS); default from memory. */
  maxPixels?: number;
  /** A request body idle this long is answered 408 and its connection closed (DDN_BODY_IDLE_TIMEOUT_S). */
  bodyIdleTimeoutS?: number;
  /** Sent as `x-ddn-instance` with every /ping answer, so that `ddn up` knows its own child from a stray server. */
  instanceId?: string;
  /** Folder with efficient.onnx / powerful.onnx replacing the built-in models (DDN_MODEL_DIR). */
  modelDir?: string;
  s3?: S3Client;
  logger?: Logger;
}

export interface InferenceServer {
  url: string;
  port: number;
  /** Resolves once the models are loaded (/ping answers 200 from then on); rejects if they fail to load. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
/**
 * After a job of this many pixels or more, every thread collects its garbage once the server is idle: the job's
 * buffers (download, samples, result, encoded file: tens of bytes a pixel) go back to the operating system instead
 * of waiting for an idle isolate's next collection. Below it, what a job leaves is a few MiB.
 */
const COLLECT_AFTER_PIXELS = 1 << 20;
const RETRY_AFTER_S = 5;

/** A failure to report as 400 Invalid parameter. */
class InvalidParameter extends Error {}

class Timeout extends Error {}

/** The client closed its connection before the answer: the job is cancelled. */
class ClientGone extends Error {
  constructor() {
    super('the client closed the connection; the job was cancelled');
  }
}

class BodyTimeout extends Error {}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The body, at most MAX_BODY_BYTES; a body that sends nothing for `idleMs` fails with BodyTimeout. */
function readBody(req: http.IncomingMessage, idleMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onIdle = () =>
      reject(new BodyTimeout(`no byte of the request body arrived for ${idleMs / 1000} s (DDN_BODY_IDLE_TIMEOUT_S)`));
    let timer = setTimeout(onIdle, idleMs);
    req.on('data', (chunk: Buffer) => {
      timer.refresh();
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new InvalidParameter(`body: larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      clearTimeout(timer);
      if (!req.complete) reject(new ClientGone());
    });
    timer = timer.unref();
  });
}

/** Starts the /ping + /invocations server; the models load in worker threads in the background. */
export async function startInferenceServer(options: InferenceServerOptions = {}): Promise<InferenceServer> {
  const concurrency = options.concurrency ?? 1;
  const timeoutMs = (options.timeoutS ?? 120) * 1000;
  const bodyIdleMs = (options.bodyIdleTimeoutS ?? 20) * 1000;
  const maxPixels = options.maxPixels ?? defaultMaxPixels(concurrency);
  const logger = options.logger ?? createLogger('inference');
  const s3 = options.s3 ?? createS3Client();
  const limiter = new JobLimiter(concurrency, options.maxQueued ?? 2 * concurrency);
  const threads = Math.max(1, Math.floor(availableParallelism() / concurrency));
  let pool: DenoisePool | undefined;
  let loadError: Error | undefined;
  /** Steps still running, those of cancelled jobs included (a decode cannot be interrupted). */
  const stepsRunning = new Set<Promise<unknown>>();
  // Loading the models leaves garbage too: collected once they are loaded, so that it does not sit between the
  // buffers of the first large job and keep them from going back to the operating system.
  let collectDue = true;
  const collectIfIdle = () => {
    if (!collectDue || limiter.active > 0 || stepsRunning.size > 0) return;
    collectDue = false;
    collectGarbage();
    pool?.collect();
  };

  const ready = DenoisePool.start(concurrency, { modelDir: options.modelDir, threads }).then(
    (p) => {
      pool = p;
      collectIfIdle();
      logger.info({ models: p.models, concurrency, threads }, 'models loaded');
    },
    (err: Error) => {
      loadError = err;
      logger.error({ err: err.message }, 'models failed to load');
      throw err;
    },
  );
  ready.catch(() => undefined);

  async function process(request: InvocationRequest, signal: AbortSignal) {
    const timings_ms: Record<string, number> = {};
    const warnings: string[] = [];
    // A cancelled job stops at once: the step still running (a decode cannot be interrupted) is left to finish
    // on its own and its result is dropped; no later step runs.
    const cancelled = new Promise<never>((_resolve, reject) =>
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
    );
    cancelled.catch(() => undefined);
    const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
      if (signal.aborted) throw signal.reason;
      const start = performance.now();
      const running = work();
      stepsRunning.add(running);
      const settled = () => {
        stepsRunning.delete(running);
        setImmediate(collectIfIdle);
      };
      running.then(settled, settled);
      const result = await Promise.race([running, cancelled]);
      timings_ms[step] = Math.round(performance.now() - start);
      return result;
    };
    const input = parseS3Url(request.img_input_url);
    const output = parseS3Url(request.img_output_url);
    const bytes = await timed('download', () => getObjectBytes(s3, input, signal));
    const image = await timed('decode', () => decodeTiff(bytes, maxPixels));
    if (image.width * image.height >= COLLECT_AFTER_PIXELS) collectDue = true;
    if (image.width !== request.width || image.height !== request.height) {
      warnings.push(
        `the TIFF is ${image.width}x${image.height}, not the requested ${request.width}x${request.height}; the TIFF's size was used`,
      );
    }
    if (image.bitsPerSample !== 16 && request.using_bits > 8) {
      warnings.push(
        `the TIFF is ${image.bitsPerSample}-bit, not uint16, while using_bits is ${request.using_bits}; output kept ${image.bitsPerSample}-bit`,
      );
    }
    let result: DecodedImage = image;
    let noise: { gain: number; read_noise: number } | undefined;
    await timed('denoise', async () => {
      if (request.strength === 0 || !pool) return; // strength 0: the input, bit-exact
      const out = await pool.run(
        {
          model: request.model,
          pixels: image.pixels,
          width: image.width,
          height: image.height,
          digitalOffset: request.digital_offset,
          usingBits: request.using_bits,
          strength: request.strength / 20,
        },
        signal,
      );
      result = { ...image, pixels: out.pixels };
      noise = { gain: out.noise.gain, read_noise: Math.sqrt(out.noise.readVariance) };
    });
    const encoded = await timed('encode', () => encodeTiff(result));
    await timed('upload', () => putObjectBytes(s3, output, encoded, signal));
    return {
      ...request,
      output_width: image.width,
      output_height: image.height,
      warnings,
      timings_ms,
      ...(noise ? { noise } : {}),
    };
  }

  async function invocations(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: unknown;
    const text = (await readBody(req, bodyIdleMs)).toString('utf8');
    try {
      body = JSON.parse(text);
    } catch {
      throw new InvalidParameter('body: not valid JSON');
    }
    const parsed = parseInvocation(body);
    if (!parsed.ok) throw new InvalidParameter(parsed.message);
    if (!pool) {
      sendJson(
        res,
        503,
        { error: 'Busy', message: loadError ? 'the models failed to load' : 'the models are still loading' },
        { 'retry-after': String(RETRY_AFTER_S) },
      );
      return;
    }
    const controller = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new ClientGone());
    };
    res.once('close', onClose);
    const release = await limiter.acquire(controller.signal);
    const timer = setTimeout(
      () => controller.abort(new Timeout(`the job exceeded the ${timeoutMs / 1000} s limit (DDN_INFERENCE_TIMEOUT_S)`)),
      timeoutMs,
    );
    try {
      if (controller.signal.aborted) throw controller.signal.reason;
      const result = await process(parsed.request, controller.signal);
      if (result.warnings.length)
        logger.warn({ input: parsed.request.img_input_url, warnings: result.warnings }, 'invocation warnings');
      logger.info(
        { input: parsed.request.img_input_url, output: parsed.request.img_output_url, timings_ms: result.timings_ms },
        'invocation done',
      );
      sendJson(res, 200, result);
    } catch (err) {
      throw controller.signal.aborted ? controller.signal.reason : err;
    } finally {
      res.off('close', onClose);
      clearTimeout(timer);
      release();
      // The declared size: a job cancelled before its decode.
      if (parsed.request.width * parsed.request.height >= COLLECT_AFTER_PIXELS) collectDue = true;
      setImmediate(collectIfIdle);
    }
  }

  function sendFailure(res: http.ServerResponse, err: unknown): void {
    if (err instanceof InvalidParameter)
      return sendJson(res, 400, { error: 'Invalid parameter', message: err.message });
    if (err instanceof ImageInputError)
      return sendJson(res, 400, { error: 'Invalid parameter', message: `${err.field}: ${err.message}` });
    if (err instanceof MissingObjectError)
      return sendJson(res, 400, { error: 'Invalid parameter', message: `img_input_url: ${err.message}` });
    if (err instanceof BusyError)
      return sendJson(res, 503, { error: 'Busy', message: err.message }, { 'retry-after': String(RETRY_AFTER_S) });
    if (err instanceof ClientGone) return void logger.info('invocation cancelled: the client closed the connection');
    if (err instanceof BodyTimeout) {
      res.shouldKeepAlive = false;
      res.once('finish', () => res.req.destroy());
      return sendJson(res, 408, { error: 'Request timeout', message: err.message }, { connection: 'close' });
    }
    const message =
      err instanceof Timeout || err instanceof JobAbortedError
        ? err.message
        : `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`;
    logger.error({ err: message }, 'invocation failed');
    sendJson(res, 500, { error: 'Processing failed', message });
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/ping' || path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return sendJson(res, 405, { error: 'Method not allowed' }, { allow: 'GET, HEAD' });
      if (options.instanceId) res.setHeader('x-ddn-instance', options.instanceId);
      if (pool) return sendJson(res, 200, { status: 'ok' });
      return sendJson(res, 503, {
        status: loadError ? 'failed' : 'loading',
        ...(loadError ? { message: loadError.message } : {}),
      });
    }
    if (path === '/invocations' || path === '/inference') {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'Method not allowed' }, { allow: 'POST' });
      invocations(req, res).catch((err) => {
        if (!res.headersSent) sendFailure(res, err);
      });
      return;
    }
    sendJson(res, 404, { error: 'Not found', message: `no route ${req.method} ${path}` });
  });
  server.requestTimeout = 0; // jobs are bounded by DDN_INFERENCE_TIMEOUT_S instead
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 50101, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    ready,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ready.catch(() => undefined);
      await pool?.close();
    },
  };
}
