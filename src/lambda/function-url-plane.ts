import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../config/logger.ts';
import type { EdgeEndpoint, EdgeRequest, EdgeService } from '../edge/types.ts';
import { AwsError } from '../protocols/aws-error.ts';
import { hasBody, readBody } from '../protocols/body.ts';
import { isPreflight, preflightHeaders, responseCorsHeaders, type CorsConfiguration } from '../protocols/cors.ts';
import { BadLambdaResponse, newTraceId, peerAddress, responseV2 } from '../protocols/http-payload.ts';
import { decodeUriOrKeep } from '../protocols/uri.ts';
import type { LambdaFunctionUrls, StoredFunctionUrl } from '../state/lambda-function-urls.ts';
import type { LambdaMetadata } from '../state/lambda-metadata.ts';
import { functionArn } from './arn.ts';
import { FUNCTION_URL_HOST, FUNCTION_URL_PATH, functionUrlDomain } from './function-url-address.ts';
import { publicUrlAllowed, signedCaller, type UrlCaller } from './function-url-auth.ts';
import { functionUrlEvent } from './function-url-event.ts';
import type { LambdaInvoker } from './invoker.ts';

/** Lambda's synchronous payload limit applies to the request. */
const MAX_REQUEST = 6 * 1024 * 1024;
const NO_BODY = Buffer.alloc(0);
const FORBIDDEN =
  'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html';

export interface FunctionUrlPlaneDeps {
  urls: LambdaFunctionUrls;
  /** The functions' resource policies. */
  metadata: LambdaMetadata;
  /** The Lambda service's invoke: reserved concurrency, MemorySize and timeouts apply as to any call. */
  lambda: Pick<LambdaInvoker, 'invoke'>;
  region: string;
  accountId: string;
  endpoint: EdgeEndpoint;
  logger: Logger;
}

/** Which URL a request is for, and its path there. */
interface UrlAddress {
  urlId: string;
  path: string;
  domainName: string;
}

/** An answer of the URL's front end itself: `{"Message": ...}` (unconfirmed for all but 403: AWS's exact bodies). */
interface FrontEndError {
  status: number;
  message: string;
  errorType?: string;
}

const ERRORS = {
  notFound: { status: 404, message: 'Not Found' },
  forbidden: { status: 403, message: FORBIDDEN, errorType: 'AccessDeniedException' },
  tooLarge: { status: 413, message: 'Request Entity Too Large' },
  throttled: { status: 429, message: 'Rate Exceeded.', errorType: 'TooManyRequestsException' },
  functionError: { status: 502, message: 'Internal Server Error' },
} satisfies Record<string, FrontEndError>;

/**
 * The data plane of function URLs: requests to `{urlId}.lambda-url.{region}.localhost[:port]` or to
 * `/_ddn/lambda-url/{urlId}/...` on the edge. CORS preflights are answered from the URL's `Cors`; then the caller is
 * authorized (`AWS_IAM`: a SigV4 signature for `lambda`; `NONE`: the resource policy must open the URL to everyone),
 * and the function gets a payload format 2.0 event through the Lambda service's `invoke`.
 */
export class FunctionUrlPlane implements EdgeService {
  readonly name = 'lambda-url';
  readonly bufferBody = false;

  constructor(private readonly deps: FunctionUrlPlaneDeps) {}

  claims(host: string, rawPath: string): boolean {
    return rawPath.startsWith(FUNCTION_URL_PATH) || (host.includes('.lambda-url.') && FUNCTION_URL_HOST.test(host));
  }

  async handle(request: EdgeRequest): Promise<void> {
    const { req, res } = request;
    const requestId = randomUUID();
    const address = this.address(request);
    const url = address && this.deps.urls.byUrlId(address.urlId);
    if (!address || !url) return send(res, requestId, ERRORS.notFound);
    const cors = url.cors && corsRules(url.cors);
    const corsHeaders = cors ? responseCorsHeaders(cors, req.headers) : {};
    if (cors && isPreflight(request.method, req.headers)) {
      // Unconfirmed: the status of AWS's answer to a preflight.
      res.writeHead(200, { ...preflightHeaders(cors, req.headers), 'x-amzn-requestid': requestId });
      return void res.end();
    }

    let body: Buffer = NO_BODY;
    try {
      if (hasBody(req)) body = await readBody(req, MAX_REQUEST);
    } catch (err) {
      if (err instanceof AwsError && err.status === 413) return send(res, requestId, ERRORS.tooLarge, corsHeaders);
      throw err;
    }
    let caller: UrlCaller | undefined;
    if (url.authType === 'AWS_IAM') {
      caller = await signedCaller(req, request.rawPath, request.query, body, {
        credentials: this.deps.endpoint.credentials,
        region: this.deps.region,
        accountId: this.deps.accountId,
      });
      if (!caller) return send(res, requestId, ERRORS.forbidden, corsHeaders);
    } else if (!this.openToEveryone(url)) {
      return send(res, requestId, ERRORS.forbidden, corsHeaders);
    }

    const startedAt = request.startedAt;
    const traceId = newTraceId(startedAt);
    const event = functionUrlEvent({
      req,
      urlId: url.urlId,
      domainName: address.domainName,
      path: address.path,
      rawQuery: request.rawQuery,
      body,
      requestId,
      sourceIp: peerAddress(req),
      traceId,
      startedAt,
      caller,
    });
    const error = (e: FrontEndError) => send(res, requestId, e, corsHeaders);
    let payload: string;
    try {
      const qualifier = url.qualifier === '$LATEST' ? undefined : url.qualifier;
      const result = await this.deps.lambda.invoke(url.functionName, JSON.stringify(event), {
        qualifier,
        payloadIsJson: true,
      });
      if (result.functionError) {
        this.warn(url, `the function failed: ${result.payload.slice(0, 500)}`);
        return error(ERRORS.functionError);
      }
      payload = result.payload;
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      this.warn(url, `${err.code}: ${err.message}`);
      if (err.status === 429) return error(ERRORS.throttled);
      if (err.status === 413) return error(ERRORS.tooLarge);
      return error(ERRORS.functionError);
    }
    let response;
    try {
      response = responseV2(payload);
    } catch (err) {
      if (!(err instanceof BadLambdaResponse)) throw err;
      this.warn(url, err.message);
      return error(ERRORS.functionError);
    }
    const headers: string[] = [];
    for (const [name, value] of response.headers) {
      const lower = name.toLowerCase();
      // With a Cors configuration the URL's CORS headers replace the function's.
      if (lower !== 'content-length' && !(cors && lower.startsWith('access-control-'))) headers.push(name, value);
    }
    for (const name in corsHeaders) headers.push(name, corsHeaders[name]);
    headers.push('x-amzn-requestid', requestId, 'x-amzn-trace-id', traceId);
    headers.push('content-length', String(response.body.length));
    res.writeHead(response.statusCode, headers);
    res.end(response.body);
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    send(request.res, randomUUID(), { status: error.status, message: error.message });
  }

  /** `NONE`: the resource policy of the URL's function (its alias's, for an alias's URL) lets everyone in. */
  private openToEveryone(url: StoredFunctionUrl): boolean {
    const { region, accountId } = this.deps;
    const resource = functionArn(
      region,
      accountId,
      url.functionName,
      url.qualifier === '$LATEST' ? undefined : url.qualifier,
    );
    if (publicUrlAllowed(this.deps.metadata.statements(url.functionName), resource, url.authType)) return true;
    this.warn(
      url,
      `the resource policy of ${resource} does not open its URL to everyone: add lambda:InvokeFunctionUrl ` +
        `(--function-url-auth-type NONE) and lambda:InvokeFunction (--invoked-via-function-url) for principal '*'`,
    );
    return false;
  }

  private warn(url: StoredFunctionUrl, reason: string): void {
    this.deps.logger.warn({ function: url.functionName, qualifier: url.qualifier, urlId: url.urlId }, reason);
  }

  private address(request: EdgeRequest): UrlAddress | undefined {
    const host = FUNCTION_URL_HOST.exec(request.host);
    if (host) {
      const colon = request.host.lastIndexOf(':');
      const domainName = colon === -1 ? request.host : request.host.slice(0, colon);
      return { urlId: host[1], path: decodeUriOrKeep(request.rawPath || '/'), domainName };
    }
    if (!request.rawPath.startsWith(FUNCTION_URL_PATH)) return undefined;
    const after = request.rawPath.slice(FUNCTION_URL_PATH.length);
    const slash = after.indexOf('/');
    const urlId = slash === -1 ? after : after.slice(0, slash);
    const path = slash === -1 ? '/' : decodeUriOrKeep(after.slice(slash));
    return { urlId, path, domainName: functionUrlDomain(urlId, this.deps.region) };
  }
}

/** The wire `Cors` of a URL configuration as CORS rules. */
function corsRules(cors: Record<string, unknown>): CorsConfiguration {
  const c = cors as {
    AllowCredentials?: boolean;
    AllowHeaders?: string[];
    AllowMethods?: string[];
    AllowOrigins?: string[];
    ExposeHeaders?: string[];
    MaxAge?: number;
  };
  return {
    allowCredentials: c.AllowCredentials,
    allowHeaders: c.AllowHeaders,
    allowMethods: c.AllowMethods,
    allowOrigins: c.AllowOrigins,
    exposeHeaders: c.ExposeHeaders,
    maxAge: c.MaxAge,
  };
}

function send(res: ServerResponse, requestId: string, error: FrontEndError, extra: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ Message: error.message });
  res.writeHead(error.status, {
    ...extra,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-requestid': requestId,
    ...(error.errorType && { 'x-amzn-errortype': error.errorType }),
  });
  res.end(body);
}
