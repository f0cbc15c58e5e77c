import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';

/** A failure of the remote side (API, S3, inference) with the hint a user needs to act on it. */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export type PresignMode = 'upload' | 'download';

export interface Timed<T> {
  value: T;
  ms: number;
}

/** The request body of `POST /invocations` (the inference service's contract). */
export interface InvocationRequest {
  model: 'efficient' | 'powerful';
  type: 'static';
  pixel_pitch: number;
  img_input_url: string;
  img_output_url: string;
  digital_offset: number;
  using_bits: number;
  strength: number;
  width: number;
  height: number;
}

export type InvocationResponse = InvocationRequest & {
  output_width?: number;
  output_height?: number;
  warnings?: string[];
  timings_ms?: Record<string, number>;
};

/** `GET {api}/ping`: the inference service behind the API. */
export async function ping(apiEndpoint: string): Promise<Timed<unknown>> {
  return callJson(apiEndpoint, 'GET', '/ping');
}

/** `GET {api}/presign?mode=...&file=KEY` → a presigned S3 URL. */
export async function presign(apiEndpoint: string, mode: PresignMode, key: string): Promise<Timed<string>> {
  const query = new URLSearchParams({ mode, file: key });
  const { value, ms } = await callJson(apiEndpoint, 'GET', `/presign?${query}`);
  const url = (value as { url?: unknown }).url;
  if (typeof url !== 'string') throw new RemoteError(`the presign function answered without a url: ${JSON.stringify(value)}`);
  return { value: url, ms };
}

/** `POST {api}/invocations`: denoise an object of the input bucket into the output bucket. */
export async function invoke(apiEndpoint: string, body: InvocationRequest): Promise<Timed<InvocationResponse>> {
  const { value, ms } = await callJson(apiEndpoint, 'POST', '/invocations', body);
  return { value: value as InvocationResponse, ms };
}

async function callJson(apiEndpoint: string, method: Dispatcher.HttpMethod, pathAndQuery: string, body?: unknown): Promise<Timed<unknown>> {
  const url = `${apiEndpoint.replace(/\/+$/, '')}${pathAndQuery}`;
  const started = performance.now();
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new RemoteError(`${method} ${url} failed: ${(err as Error).message}. Is the platform up (ddn up) and DDN_APIGW_ENDPOINT right?`);
  }
  const text = await res.body.text();
  const ms = performance.now() - started;
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  if (res.statusCode >= 400) {
    throw new RemoteError(`${method} ${pathAndQuery.split('?')[0]} answered ${res.statusCode}: ${summarise(parsed)}${hintFor(res.statusCode)}`, res.statusCode, parsed);
  }
  return { value: parsed, ms };
}

function summarise(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { message?: unknown; error?: unknown };
    if (typeof b.message === 'string') return typeof b.error === 'string' ? `${b.error}: ${b.message}` : b.message;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

function hintFor(status: number): string {
  if (status === 404) return ' (wrong DDN_APIGW_ENDPOINT? run ddn deploy, or ddn up locally, to write it to .env)';
  if (status === 503) return ' (the service is busy or starting: retry in a moment)';
  if (status >= 500) return ' (see the logs of ddn up, or the function and service logs on AWS)';
  return '';
}
