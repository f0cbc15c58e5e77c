/** The events API Gateway sends to Lambda proxy integrations (format 1.0 and 2.0); the replies: protocols/http-payload. */
import type { AuthorizerContext } from './authorizers/types.ts';
import { addHeaderV2, bodyFields, clfTime, foldHeadersV2, foldQueryV2, queryPairs } from '../protocols/http-payload.ts';
import { headerPairs, type GatewayRequest } from './request-context.ts';

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

/** Payload format 2.0: lower-case headers with duplicates comma-joined, cookies split out, optional members omitted. */
export function eventV2(g: GatewayRequest, body: Buffer): Record<string, unknown> {
  const { headers, cookies } = foldHeadersV2(g.req.rawHeaders, REPLACED_BY_GATEWAY);
  for (const [name, value] of gatewayHeaders(g, body)) addHeaderV2(headers, name.toLowerCase(), value);
  const query = foldQueryV2(g.rawQuery);

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
  const fields = bodyFields(g.req.headers['content-type'], body);
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
  const fields = bodyFields(g.req.headers['content-type'], body);
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
