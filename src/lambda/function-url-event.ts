import type { IncomingMessage } from 'node:http';
import { addHeaderV2, bodyFields, clfTime, foldHeadersV2, foldQueryV2 } from '../protocols/http-payload.ts';
import type { UrlCaller } from './function-url-auth.ts';

/** One request to a function URL, as the event describes it. */
export interface UrlRequest {
  req: IncomingMessage;
  urlId: string;
  domainName: string;
  /** The path after the URL's host (or after `/_ddn/lambda-url/{urlId}`), decoded. */
  path: string;
  rawQuery: string;
  body: Buffer;
  requestId: string;
  sourceIp: string;
  traceId: string;
  startedAt: number;
  /** The verified caller of an `AWS_IAM` URL; none for `NONE`. */
  caller?: UrlCaller;
}

/** Headers the URL's front end sets itself (unconfirmed: AWS's exact list). */
const SET_BY_URL = new Set(['x-amzn-trace-id', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto']);

/** The payload format 2.0 event a function URL sends its function. */
export function functionUrlEvent(r: UrlRequest): Record<string, unknown> {
  const { headers, cookies } = foldHeadersV2(r.req.rawHeaders, SET_BY_URL);
  const forwardedFor = r.req.headers['x-forwarded-for'] as string | undefined;
  addHeaderV2(headers, 'x-amzn-trace-id', r.traceId);
  addHeaderV2(headers, 'x-forwarded-for', forwardedFor ? `${forwardedFor}, ${r.sourceIp}` : r.sourceIp);
  addHeaderV2(headers, 'x-forwarded-port', String(r.req.socket.localPort ?? 0));
  addHeaderV2(headers, 'x-forwarded-proto', 'http');
  const query = foldQueryV2(r.rawQuery);
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: '$default',
    rawPath: r.path,
    rawQueryString: r.rawQuery,
  };
  if (cookies.length) event.cookies = cookies;
  event.headers = headers;
  if (Object.keys(query).length) event.queryStringParameters = query;
  event.requestContext = {
    accountId: r.caller?.accountId ?? 'anonymous',
    apiId: r.urlId,
    ...(r.caller && { authorizer: { iam: r.caller } }),
    domainName: r.domainName,
    domainPrefix: r.urlId,
    http: {
      method: r.req.method ?? 'GET',
      path: r.path,
      protocol: `HTTP/${r.req.httpVersion}`,
      sourceIp: r.sourceIp,
      userAgent: r.req.headers['user-agent'] ?? '',
    },
    requestId: r.requestId,
    routeKey: '$default',
    stage: '$default',
    time: clfTime(r.startedAt),
    timeEpoch: r.startedAt,
  };
  const fields = bodyFields(r.req.headers['content-type'], r.body);
  if (fields.body !== undefined) event.body = fields.body;
  event.isBase64Encoded = fields.isBase64Encoded;
  return event;
}
