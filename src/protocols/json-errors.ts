import type { AwsError, ErrorTable, ResponseTarget } from './aws-error.ts';

/** The errors of JSON 1.0/1.1 and rest-json alike: NotImplemented and the codes `jsonAuthError` answers with. */
export const JSON_COMMON_ERRORS = {
  NotImplemented: { status: 501, message: 'The operation is not implemented by the local edge.' },
  UnrecognizedClientException: { status: 403, message: 'The security token included in the request is invalid.' },
  InvalidSignatureException: {
    status: 403,
    message: 'The request signature we calculated does not match the signature you provided.',
  },
  IncompleteSignatureException: { status: 403, message: 'The request signature does not conform to AWS standards.' },
  AccessDeniedException: { status: 403, message: 'Access denied.' },
} as const satisfies ErrorTable;

/** The one writer of JSON error responses (rest-json and JSON 1.0/1.1): status, `x-amzn-errortype`, body. */
export function writeJsonError(target: ResponseTarget, err: AwsError, contentType: string, body: string): void {
  const { res } = target;
  if (res.headersSent) return void res.destroy();
  res.writeHead(err.status, {
    'content-type': contentType,
    'x-amzn-errortype': err.code,
    'x-amzn-requestid': target.requestId,
  });
  res.end(body);
}

/** Parses a JSON request body; empty is `{}`. `error` makes the service's own error for text that is not JSON. */
export function parseJsonBody(body: Buffer | undefined, error: (reason: string) => Error): unknown {
  const text = body === undefined ? '' : body.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw error((err as Error).message);
  }
}
