import type { IncomingHttpHeaders } from 'node:http';

/**
 * CORS rules of API Gateway HTTP APIs (`CorsConfiguration`) and Lambda function URLs (`Cors`), which behave alike:
 * the endpoint answers preflights itself and sets the Access-Control-* headers of every response.
 */
export interface CorsConfiguration {
  allowOrigins?: string[];
  allowCredentials?: boolean;
  allowHeaders?: string[];
  allowMethods?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

/** Whether `origin` is allowed: exact, `*`, or a scheme wildcard such as `https://*`. */
function allowedOrigin(cors: CorsConfiguration, origin: string): string | undefined {
  for (const allowed of cors.allowOrigins ?? []) {
    if (allowed === '*') return cors.allowCredentials ? origin : '*';
    if (allowed.toLowerCase() === origin.toLowerCase()) return origin;
    if (allowed.endsWith('://*') && origin.toLowerCase().startsWith(allowed.slice(0, -1).toLowerCase())) return origin;
  }
  return undefined;
}

export function isPreflight(method: string, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

/** Headers of the gateway's own answer to a preflight (sent with 204). Unmatched origin: none. */
export function preflightHeaders(cors: CorsConfiguration, headers: IncomingHttpHeaders): Record<string, string> {
  const origin = allowedOrigin(cors, headers.origin!);
  if (!origin) return {};
  const out: Record<string, string> = { 'access-control-allow-origin': origin };
  if (origin !== '*') out.vary = 'Origin';
  if (cors.allowCredentials) out['access-control-allow-credentials'] = 'true';
  if (cors.allowMethods?.length) out['access-control-allow-methods'] = cors.allowMethods.join(',');
  if (cors.allowHeaders?.length) out['access-control-allow-headers'] = cors.allowHeaders.join(',');
  if (cors.exposeHeaders?.length) out['access-control-expose-headers'] = cors.exposeHeaders.join(',');
  if (cors.maxAge !== undefined && cors.maxAge >= 0) out['access-control-max-age'] = String(cors.maxAge);
  return out;
}

/** Headers added to an ordinary response when the request had an allowed `Origin` (the backend's CORS headers are dropped). */
export function responseCorsHeaders(cors: CorsConfiguration, headers: IncomingHttpHeaders): Record<string, string> {
  const origin = headers.origin ? allowedOrigin(cors, headers.origin) : undefined;
  if (!origin) return {};
  const out: Record<string, string> = { 'access-control-allow-origin': origin };
  if (origin !== '*') out.vary = 'Origin';
  if (cors.allowCredentials) out['access-control-allow-credentials'] = 'true';
  if (cors.exposeHeaders?.length) out['access-control-expose-headers'] = cors.exposeHeaders.join(',');
  return out;
}
