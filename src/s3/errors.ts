import type { EdgeRequest } from '../edge/types.ts';
import { AwsError } from '../edge/errors.ts';
import { restXmlErrorDocument } from '../protocols/rest-xml.ts';

/** Headers every S3 response carries. */
export function requestIdHeaders(request: EdgeRequest): Record<string, string> {
  return { 'x-amz-request-id': request.requestId, 'x-amz-id-2': hostId(request.requestId) };
}

export function hostId(requestId: string): string {
  return Buffer.from(`ddn/${requestId}`).toString('base64');
}

/** S3's answer to a request body that stopped arriving. */
export function requestTimeout(): AwsError {
  return new AwsError(
    400,
    'RequestTimeout',
    'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.',
  );
}

/** S3's error document; HEAD responses carry only the status, as S3 does. */
export function sendS3Error(request: EdgeRequest, err: AwsError): void {
  const { res } = request;
  if (res.headersSent) return void res.destroy();
  const body = restXmlErrorDocument(err, request.requestId, { root: 'Error', hostId: hostId(request.requestId) });
  const headers: Record<string, string> = { ...requestIdHeaders(request), 'content-type': 'application/xml' };
  if (!request.req.complete) headers.connection = 'close';
  if (request.method === 'HEAD') {
    res.writeHead(err.status, headers);
    res.end();
    return;
  }
  res.writeHead(err.status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
  if (!request.req.complete) request.req.resume();
}
