import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import type { ApiAuth } from './auth/session.ts';

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
export async function ping(apiEndpoint: string, auth?: ApiAuth): Promise<Timed<unknown>> {
  return callJson(apiEndpoint, 'GET', '/ping', undefined, auth);
}

/** `GET {api}/presign?mode=...&file=KEY` → a presigned S3 URL. */
export async function presign(
  apiEndpoint: string,
  mode: PresignMode,
  key: string,
  auth?: ApiAuth,
): Promise<Timed<string>> {
  const query = new URLSearchParams({ mode, file: key });
  const { value, ms } = await callJson(apiEndpoint, 'GET', `/presign?${query}`, undefined, auth);
  const url = (value as { url?: unknown }).url;
  if (typeof url !== 'string')
    throw new RemoteError(`the presign function answered without a url: ${JSON.stringify(value)}`);
  return { value: url, ms };
}

/** `POST {api}/invocations`: denoise an object of the input bucket into the output bucket. */
export async function invoke(
  apiEndpoint: string,
  body: InvocationRequest,
  auth?: ApiAuth,
): Promise<Timed<InvocationResponse>> {
  const { value, ms } = await callJson(apiEndpoint, 'POST', '/invocations', body, auth);
  return { value: value as InvocationResponse, ms };
}

/**
 * One JSON call to the API. With `auth` the token goes in `Authorization`; a 401 is retried once with a
 * refreshed token (the authorizer refuses before the integration runs, so nothing was done twice).
 */
async function callJson(
  apiEndpoint: string,
  method: Dispatcher.HttpMethod,
  pathAndQuery: string,
  body?: unknown,
  auth?: ApiAuth,
): Promise<Timed<unknown>> {
  const started = performance.now();
  const token = await auth?.token();
  let res = await send(apiEndpoint, method, pathAndQuery, body, token);
  if (res.statusCode === 401 && auth) {
    const refused = res;
    const fresh = await auth.refreshAfterRefusal().catch(async (err: unknown) => {
      await refused.body.dump();
      throw err;
    });
    if (fresh) {
      await refused.body.dump();
      res = await send(apiEndpoint, method, pathAndQuery, body, fresh);
    }
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
    const hint =
      res.statusCode === 401 || res.statusCode === 403
        ? authHint(res.statusCode, auth, res.headers['www-authenticate'])
        : hintFor(res.statusCode);
    throw new RemoteError(
      `${method} ${pathAndQuery.split('?')[0]} answered ${res.statusCode}: ${summarise(parsed)}${hint}`,
      res.statusCode,
      parsed,
    );
  }
  return { value: parsed, ms };
}

async function send(
  apiEndpoint: string,
  method: Dispatcher.HttpMethod,
  pathAndQuery: string,
  body: unknown,
  token: string | undefined,
): Promise<Dispatcher.ResponseData> {
  const url = `${apiEndpoint.replace(/\/+$/, '')}${pathAndQuery}`;
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    return await request(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new RemoteError(
      `${method} ${url} failed: ${(err as Error).message}. Is the platform up (ddn up) and DDN_APIGW_ENDPOINT right?`,
    );
  }
}

/** What to do about a refused token: sign in, replace DDN_API_TOKEN, or get the scope the route needs. */
export function authHint(
  status: 401 | 403,
  auth: ApiAuth | undefined,
  wwwAuthenticate: string | string[] | undefined,
): string {
  const header = Array.isArray(wwwAuthenticate) ? wwwAuthenticate.join(', ') : wwwAuthenticate;
  const description = header && /error_description="([^"]*)"/.exec(header)?.[1];
  const why = description ? ` (${description})` : '';
  if (status === 403) {
    const scope = header && /scope="([^"]+)"/.exec(header)?.[1];
    return `${why}: your token lacks ${scope ? `scope ${scope}` : 'a scope'} this route needs, or the user is not allowed; sign in as a user who has it`;
  }
  if (!auth) return `${why}: the API needs a signed-in user: run ddn login (or set DDN_API_TOKEN to a token)`;
  if (auth.source === 'DDN_API_TOKEN')
    return `${why}: DDN_API_TOKEN was refused (expired, or from another user pool): set a fresh token, or unset it and run ddn login`;
  return `${why}: your sign-in was refused (expired, or from another user pool): run ddn login`;
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
