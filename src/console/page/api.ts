// Types only: the client library's runtime (undici) stays out of the browser bundle.
import type { InvocationRequest, InvocationResponse } from '../../client/api.ts';
import type { ConsoleSignIn } from './sign-in.ts';

export type { InvocationRequest };

/** What `/_ddn/console/config.json` tells the page. */
export interface ConsoleConfig {
  /** The API's invoke URL, or null while no API is deployed. */
  apiEndpoint: string | null;
  inBucket: string;
  outBucket: string;
  /** The user pool and app client to sign in with when the API needs a signed-in user; null when it is open. */
  signIn: ConsoleSignIn | null;
}

/** A failed step, worded for a person. */
export class StepError extends Error {}

const EXECUTE_API_HOST = /^([a-z0-9]+)\.execute-api\.localhost(?::\d+)?$/i;

/**
 * The base URL the page calls the API at. A local API (`{id}.execute-api.localhost` or
 * `{edge}/_aws/execute-api/{id}`) is reached through the page's own origin, so the browser never
 * needs API CORS; any other endpoint (real AWS) is used as given.
 */
export function apiBaseFor(endpoint: string, pageOrigin: string): string {
  const url = new URL(endpoint);
  const trimmed = url.pathname.replace(/\/+$/, '');
  const host = EXECUTE_API_HOST.exec(url.host);
  if (host) return `${pageOrigin}/_aws/execute-api/${host[1]}${trimmed}`;
  const page = new URL(pageOrigin);
  if (
    trimmed.startsWith('/_aws/execute-api/') &&
    url.port === page.port &&
    isLoopback(url.hostname) &&
    isLoopback(page.hostname)
  ) {
    return `${pageOrigin}${trimmed}`;
  }
  return `${url.origin}${trimmed}`;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

/** Turns an error response into one sentence: JSON `message`, S3 XML `<Message>`, or the status. */
export function describeFailure(step: string, status: number, body: string): string {
  let detail = '';
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      const json = JSON.parse(trimmed) as Record<string, unknown>;
      const m = json.message ?? json.Message ?? json.error ?? json.errorMessage;
      if (typeof m === 'string') detail = m;
      else if (m !== undefined) detail = JSON.stringify(m);
    } catch {
      // not JSON after all
    }
  } else if (trimmed.startsWith('<')) {
    const code = /<Code>([^<]*)<\/Code>/.exec(trimmed)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(trimmed)?.[1];
    detail = [code, message].filter(Boolean).join(': ');
  } else if (trimmed.length > 0 && trimmed.length < 300) {
    detail = trimmed;
  }
  const what = status === 0 ? 'could not reach the server' : `failed with HTTP ${status}${statusHint(status)}`;
  return `${step} ${what}${detail ? `: ${detail}` : '.'}`;
}

function statusHint(status: number): string {
  if (status === 401) return ' (the API wants a signed-in user: sign in again)';
  if (status === 403) return ' (access denied — the presigned URL may have expired)';
  if (status === 404) return ' (not found)';
  if (status === 502 || status === 503) return ' (the service behind the API is not available)';
  if (status === 504) return ' (the service behind the API took too long)';
  return '';
}

/** The server's own timings and warnings from an `/invocations` answer, in one line (empty if none). */
export function summariseInvocation(body: string): string {
  let json: Partial<InvocationResponse>;
  try {
    json = JSON.parse(body) as Partial<InvocationResponse>;
  } catch {
    return '';
  }
  const parts: string[] = [];
  if (json.timings_ms && typeof json.timings_ms === 'object') {
    const timings = Object.entries(json.timings_ms).filter(([, v]) => typeof v === 'number');
    if (timings.length) parts.push(`server: ${timings.map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ')}`);
  }
  if (Array.isArray(json.warnings) && json.warnings.length)
    parts.push(`warnings: ${json.warnings.map(String).join('; ')}`);
  return parts.join(' — ');
}

/** Output key for an input key: `dir/name.tif` → `dir/name_denoised.tif`. */
export function outputKeyFor(inputKey: string, model: string, strength: number): string {
  const dot = inputKey.lastIndexOf('.');
  const stem = dot > inputKey.lastIndexOf('/') ? inputKey.slice(0, dot) : inputKey;
  return `${stem}_${model}_s${strength}.tif`;
}

/** An S3 key from a file name: unique per upload, safe characters only. */
export function inputKeyFor(fileName: string, now = Date.now()): string {
  const base =
    fileName
      .replace(/\.[^.]*$/, '')
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .slice(0, 80) || 'image';
  return `console/${now.toString(36)}-${base}.tif`;
}

export interface FetchOptions {
  method?: string;
  body?: string;
  timeoutMs: number;
  headers?: Record<string, string>;
}

/** fetch with a deadline; every failure becomes a StepError in plain words. */
export async function fetchStep(step: string, url: string, options: FetchOptions): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const response = await fetch(url, {
      method: options.method ?? 'GET',
      body: options.body,
      headers: options.headers,
      signal: controller.signal,
    });
    if (!response.ok)
      throw new StepError(describeFailure(step, response.status, await response.text().catch(() => '')));
    return response;
  } catch (err) {
    if (err instanceof StepError) throw err;
    if (controller.signal.aborted)
      throw new StepError(`${step} did not answer within ${Math.round(options.timeoutMs / 1000)} s.`);
    throw new StepError(describeFailure(step, 0, (err as Error).message ?? ''));
  } finally {
    clearTimeout(timer);
  }
}

/** Reads `{"url": ...}` from a presign response. */
export async function readPresignedUrl(step: string, response: Response): Promise<string> {
  const text = await response.text();
  try {
    const url = (JSON.parse(text) as { url?: unknown }).url;
    if (typeof url === 'string' && /^https?:\/\//.test(url)) return url;
  } catch {
    // reported below
  }
  throw new StepError(`${step} returned no URL (got ${text.slice(0, 120) || 'an empty body'}).`);
}

/** PUT with upload progress (fetch cannot report it). */
export function putWithProgress(
  url: string,
  body: Blob,
  timeoutMs: number,
  onProgress: (fraction: number) => void,
): Promise<void> {
  const step = 'The upload';
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.timeout = timeoutMs;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else reject(new StepError(describeFailure(step, xhr.status, xhr.responseText)));
    };
    xhr.onerror = () =>
      reject(
        new StepError(`${step} could not reach the storage (network error or a CORS refusal of this page's origin).`),
      );
    xhr.ontimeout = () => reject(new StepError(`${step} did not finish within ${Math.round(timeoutMs / 1000)} s.`));
    xhr.send(body);
  });
}
