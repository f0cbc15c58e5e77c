import type { AuthorizerContext } from './authorizers/types.ts';
import { clfTime, headerPairs, isTextContentType, queryPairs, type GatewayRequest } from './request-context.ts';

/** Lambda proxy payloads: the events API Gateway sends (format 1.0 and 2.0) and how it reads the replies. */

export interface GatewayResponse {
  statusCode: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Why a function's reply cannot become an HTTP response (logged as `integrationErrorMessage`). */
export class BadLambdaResponse extends Error {}

function bodyFields(g: GatewayRequest, body: Buffer): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  const text = isTextContentType(g.req.headers['content-type']);
  return { body: text ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !text };
}

function gatewayHeaders(g: GatewayRequest, body: Buffer): Array<[string, string]> {
  // node:http joins repeated X-Forwarded-For headers into one string.
  const forwardedFor = g.req.headers['x-forwarded-for'] as string | undefined;
  return [
    ['Content-Length', String(body.length)],
    ['X-Amzn-Trace-Id', g.traceId],
    ['X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${g.sourceIp}` : g.sourceIp],
    ['X-Forwarded-Port', String(g.localPort)],
    ['X-Forwarded-Proto', 'http'],
  ];
}

const REPLACED_BY_GATEWAY = new Set([
  'content-length',
  'x-amzn-trace-id',
  'x-forwarded-for',
  'x-forwarded-port',
  'x-forwarded-proto',
  'transfer-encoding',
  'connection',
]);

/** Adds a header to a map of comma-joined values (a plain function: the event is built for every request). */
function addJoined(headers: Record<string, string>, name: string, value: string): void {
  const before = headers[name];
  headers[name] = before === undefined ? value : `${before},${value}`;
}

/** Payload format 2.0: lower-case headers with duplicates comma-joined, cookies split out, optional members omitted. */
export function eventV2(g: GatewayRequest, body: Buffer): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = g.req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (name === 'cookie')
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
    else if (!REPLACED_BY_GATEWAY.has(name)) addJoined(headers, name, value);
  }
  for (const [name, value] of gatewayHeaders(g, body)) addJoined(headers, name.toLowerCase(), value);

  const query: Record<string, string> = {};
  for (const [k, v] of queryPairs(g.rawQuery)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;

  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: g.routeKey,
    rawPath: g.fullPath,
    rawQueryString: g.rawQuery,
  };
  if (cookies.length) event.cookies = cookies;
  event.headers = headers;
  if (Object.keys(query).length) event.queryStringParameters = query;
  const requestContext: Record<string, unknown> = {
    accountId: g.accountId,
    apiId: g.apiId,
    domainName: g.domainName,
    domainPrefix: g.domainPrefix,
    http: { method: g.method, path: g.fullPath, protocol: 'HTTP/1.1', sourceIp: g.sourceIp, userAgent: g.userAgent },
    requestId: g.requestId,
    routeKey: g.routeKey,
    stage: g.stageName,
    time: clfTime(g.startedAt),
    timeEpoch: g.startedAt,
  };
  // Set afterwards, not spread in: routes without an authorizer keep the literal's fast path.
  if (g.authorizer) requestContext.authorizer = authorizerV2(g.authorizer);
  event.requestContext = requestContext;
  if (g.pathParameters) event.pathParameters = g.pathParameters;
  if (Object.keys(g.stageVariables).length) event.stageVariables = g.stageVariables;
  const fields = bodyFields(g, body);
  if (fields.body !== undefined) event.body = fields.body;
  event.isBase64Encoded = fields.isBase64Encoded;
  return event;
}

/** Payload format 1.0 (HTTP API flavour): header names as sent, multi-value maps, absent collections `null`. */
export function eventV1(g: GatewayRequest, body: Buffer, resourcePath: string): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const pairs = headerPairs(g.req).filter(([name]) => !REPLACED_BY_GATEWAY.has(name.toLowerCase()));
  for (const [name, value] of [...pairs, ...gatewayHeaders(g, body)]) {
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of queryPairs(g.rawQuery)) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  const fields = bodyFields(g, body);
  const iam = g.authorizer?.kind === 'iam' ? g.authorizer.identity : undefined;
  const event = {
    version: '1.0',
    resource: resourcePath,
    path: g.fullPath,
    httpMethod: g.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    requestContext: {
      accountId: g.accountId,
      apiId: g.apiId,
      domainName: g.domainName,
      domainPrefix: g.domainPrefix,
      extendedRequestId: g.requestId,
      httpMethod: g.method,
      identity: {
        accessKey: iam?.accessKey ?? null,
        accountId: iam?.accountId ?? null,
        caller: iam?.callerId ?? null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: g.sourceIp,
        user: iam?.userId ?? null,
        userAgent: g.userAgent,
        userArn: iam?.userArn ?? null,
      },
      path: g.fullPath,
      protocol: 'HTTP/1.1',
      requestId: g.requestId,
      requestTime: clfTime(g.startedAt),
      requestTimeEpoch: g.startedAt,
      resourceId: g.routeKey,
      resourcePath: resourcePath,
      stage: g.stageName,
    },
    pathParameters: g.pathParameters ?? null,
    stageVariables: Object.keys(g.stageVariables).length ? g.stageVariables : null,
    body: fields.body ?? null,
    isBase64Encoded: fields.isBase64Encoded,
  };
  if (g.authorizer) (event.requestContext as Record<string, unknown>).authorizer = authorizerV1(g.authorizer);
  return event;
}

/** `requestContext.authorizer` of payload 2.0: one member named after the kind of authorizer. */
function authorizerV2(a: AuthorizerContext): Record<string, unknown> {
  if (a.kind === 'jwt') return { jwt: { claims: a.claims, scopes: a.scopes } };
  if (a.kind === 'lambda') return { lambda: a.context };
  return { iam: a.identity };
}

/**
 * `requestContext.authorizer` of payload 1.0: a JWT's claims and scopes; a Lambda authorizer's context flat, with its
 * principalId (REST's shape, unconfirmed for HTTP APIs). An IAM caller goes in `identity` instead.
 */
function authorizerV1(a: AuthorizerContext): Record<string, unknown> {
  if (a.kind === 'jwt') return { claims: a.claims, scopes: a.scopes };
  if (a.kind === 'lambda') return { ...a.context, ...(a.principalId !== undefined && { principalId: a.principalId }) };
  return { claims: null, scopes: null };
}

function parsePayload(payload: string): unknown {
  if (payload.length === 0) throw new BadLambdaResponse('The function returned an empty payload.');
  try {
    return JSON.parse(payload);
  } catch {
    throw new BadLambdaResponse('The function returned a payload that is not JSON.');
  }
}

function statusOf(value: unknown): number {
  const status = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new BadLambdaResponse(`The function returned an invalid statusCode ${JSON.stringify(value)}.`);
  }
  return status;
}

function bodyOf(value: unknown, isBase64Encoded: unknown): Buffer {
  if (value === undefined || value === null) return Buffer.alloc(0);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
}

function headersOf(value: unknown): Array<[string, string]> {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value))
    throw new BadLambdaResponse('The function returned headers that are not an object.');
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
}

function withDefaultContentType(headers: Array<[string, string]>): Array<[string, string]> {
  return headers.some(([k]) => k.toLowerCase() === 'content-type')
    ? headers
    : [...headers, ['content-type', 'application/json']];
}

/** Format 2.0 reply: structured when it is an object with `statusCode`, otherwise 200 application/json with the value as body. */
export function responseV2(payload: string): GatewayResponse {
  const value = parsePayload(payload);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('statusCode' in value)) {
    // A JSON string is sent as its value; anything else as its JSON text.
    const body = typeof value === 'string' ? value : payload.trim();
    return { statusCode: 200, headers: [['content-type', 'application/json']], body: Buffer.from(body) };
  }
  const r = value as Record<string, unknown>;
  const headers = headersOf(r.headers);
  if (r.cookies !== undefined) {
    if (!Array.isArray(r.cookies)) throw new BadLambdaResponse('The function returned cookies that are not an array.');
    headers.unshift(...r.cookies.map((c): [string, string] => ['set-cookie', String(c)]));
  }
  return {
    statusCode: statusOf(r.statusCode),
    headers: withDefaultContentType(headers),
    body: bodyOf(r.body, r.isBase64Encoded),
  };
}

/** Format 1.0 reply: `statusCode` is required; `headers` and `multiValueHeaders` are merged. */
export function responseV1(payload: string): GatewayResponse {
  const value = parsePayload(payload);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('statusCode' in value)) {
    throw new BadLambdaResponse('A payload format 1.0 response must be an object with statusCode.');
  }
  const r = value as Record<string, unknown>;
  const headers = headersOf(r.headers);
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object')
      throw new BadLambdaResponse('The function returned multiValueHeaders that are not an object.');
    for (const [k, values] of Object.entries(r.multiValueHeaders as Record<string, unknown>)) {
      for (const v of Array.isArray(values) ? values : [values]) {
        if (!headers.some(([hk, hv]) => hk.toLowerCase() === k.toLowerCase() && hv === String(v)))
          headers.push([k, String(v)]);
      }
    }
  }
  return {
    statusCode: statusOf(r.statusCode),
    headers: withDefaultContentType(headers),
    body: bodyOf(r.body, r.isBase64Encoded),
  };
}
