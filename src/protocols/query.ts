import { AwsError, errorOf, type ErrorTable, type ResponseTarget } from './aws-error.ts';
import { queryAuthError } from './auth-errors.ts';
import { notImplemented } from './not-implemented.ts';
import { escapeXml } from './xml.ts';

/**
 * The query protocol (STS, IAM, SNS): `Action=...&Version=...` in the query string or a form body; results and
 * errors are XML in the service's namespace.
 */
export const QUERY_ERRORS = {
  NotImplemented: { status: 501, message: 'The operation is not implemented by the local edge.' },
  // unconfirmed: AWS's exact answer to a request without an Action.
  MissingAction: { status: 400, message: 'The request must contain the parameter Action.' },
  InvalidClientTokenId: { status: 403, message: 'The security token included in the request is invalid.' },
  SignatureDoesNotMatch: {
    status: 403,
    message: 'The request signature we calculated does not match the signature you provided.',
  },
  IncompleteSignature: { status: 400, message: 'The request signature does not conform to AWS standards.' },
  AccessDenied: { status: 403, message: 'Access denied.' },
  InvalidParameterValue: {
    status: 400,
    message: 'An invalid or out-of-range value was supplied for the input parameter.',
  },
  ValidationError: { status: 400, message: 'The input fails to satisfy the constraints specified by an AWS service.' },
} as const satisfies ErrorTable;

export type QueryErrorCode = keyof typeof QUERY_ERRORS;

export const queryError = (code: QueryErrorCode, message?: string): AwsError => errorOf(QUERY_ERRORS, code, message);

/** A query service's identity on the wire. */
export interface QueryService {
  /** The service name in messages (`sts`, `iam`). */
  readonly name: string;
  /** The XML namespace of its responses (`https://sts.amazonaws.com/doc/2011-06-15/`). */
  readonly namespace: string;
}

/** The request's parameters: the query string, then the form body (a body value wins). */
export function queryParameters(rawQuery: string, body: Buffer | undefined): URLSearchParams {
  const params = new URLSearchParams(rawQuery);
  if (body !== undefined && body.length > 0)
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
  return params;
}

/** A query operation: it reads the parameters and returns the inner XML of its `<ActionResult>`. */
export type QueryOperation = (params: URLSearchParams, target: ResponseTarget) => string | Promise<string>;

/**
 * Runs the operation `Action` names and writes its result. Every other action, known to AWS or not, is
 * 501 NotImplemented naming it; nothing falls through.
 */
export async function serveQuery(
  service: QueryService,
  operations: Readonly<Record<string, QueryOperation>>,
  target: ResponseTarget,
  params: URLSearchParams,
): Promise<void> {
  const action = params.get('Action');
  if (action === null || action === '') throw queryError('MissingAction');
  const operation = Object.hasOwn(operations, action) ? operations[action] : undefined;
  if (!operation) throw notImplemented(service.name, action);
  writeQueryResult(target, service, action, await operation(params, target));
}

/** `<ActionResponse><ActionResult>inner</ActionResult><ResponseMetadata>...` */
export function writeQueryResult(
  target: ResponseTarget,
  service: QueryService,
  action: string,
  resultXml: string,
): void {
  const metadata = `  <ResponseMetadata>\n    <RequestId>${target.requestId}</RequestId>\n  </ResponseMetadata>\n`;
  const body =
    `<${action}Response xmlns="${service.namespace}">\n  <${action}Result>\n${resultXml}  </${action}Result>\n` +
    `${metadata}</${action}Response>\n`;
  target.res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': target.requestId });
  target.res.end(body);
}

/** The query protocol's error document; the edge's auth errors in the query services' codes. */
export function writeQueryError(
  target: ResponseTarget,
  service: Pick<QueryService, 'namespace'>,
  error: AwsError,
): void {
  const err = queryAuthError(error);
  const body =
    `<ErrorResponse xmlns="${service.namespace}">\n  <Error>\n    <Type>${errorType(err)}</Type>\n` +
    `    <Code>${escapeXml(err.code)}</Code>\n    <Message>${escapeXml(err.message)}</Message>\n  </Error>\n` +
    `  <RequestId>${target.requestId}</RequestId>\n</ErrorResponse>\n`;
  if (target.res.headersSent) return void target.res.destroy();
  target.res.writeHead(err.status, { 'content-type': 'text/xml', 'x-amzn-requestid': target.requestId });
  target.res.end(body);
}

/** EC2's variant of the query protocol writes `<Response><Errors><Error>...</Errors><RequestID>`. */
export function writeEc2Error(target: ResponseTarget, error: AwsError): void {
  const err = queryAuthError(error);
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(err.code)}</Code>` +
    `<Message>${escapeXml(err.message)}</Message></Error></Errors>` +
    `<RequestID>${target.requestId}</RequestID></Response>`;
  if (target.res.headersSent) return void target.res.destroy();
  target.res.writeHead(err.status, { 'content-type': 'text/xml', 'x-amzn-requestid': target.requestId });
  target.res.end(body);
}

/** `Sender` for the client's mistakes, `Receiver` for the service's. */
function errorType(err: AwsError): 'Sender' | 'Receiver' {
  return err.status >= 500 ? 'Receiver' : 'Sender';
}
