import type { AwsError, ResponseTarget } from './aws-error.ts';
import { xmlElement } from './xml.ts';

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** How a rest-xml service spells its error document. */
export interface RestXmlErrorStyle {
  /** S3 writes `<Error>` at the root with `HostId`; the others (Route 53, CloudFront) `<ErrorResponse><Error>`. */
  root: 'Error' | 'ErrorResponse';
  /** S3's `x-amz-id-2` / `HostId`. */
  hostId?: string;
}

/** The XML of a rest-xml error (extra fields become elements). */
export function restXmlErrorDocument(err: AwsError, requestId: string, style: RestXmlErrorStyle): string {
  const extra = Object.entries(err.extra)
    .map(([k, v]) => xmlElement(k, v))
    .join('');
  if (style.root === 'Error') {
    return (
      `${XML_DECLARATION}<Error>${xmlElement('Code', err.code)}${xmlElement('Message', err.message)}${extra}` +
      `${xmlElement('RequestId', requestId)}${xmlElement('HostId', style.hostId)}</Error>`
    );
  }
  return (
    `${XML_DECLARATION}<ErrorResponse><Error>${xmlElement('Type', err.status >= 500 ? 'Receiver' : 'Sender')}` +
    `${xmlElement('Code', err.code)}${xmlElement('Message', err.message)}${extra}</Error>` +
    `${xmlElement('RequestId', requestId)}</ErrorResponse>`
  );
}

/** Writes a rest-xml error; a HEAD answer carries the status only. */
export function writeRestXmlError(
  target: ResponseTarget & { method: string },
  err: AwsError,
  style: RestXmlErrorStyle,
): void {
  const { res } = target;
  if (res.headersSent) return void res.destroy();
  const headers: Record<string, string> = { 'content-type': 'application/xml', 'x-amzn-requestid': target.requestId };
  if (target.method === 'HEAD') {
    res.writeHead(err.status, headers);
    return void res.end();
  }
  const body = restXmlErrorDocument(err, target.requestId, style);
  res.writeHead(err.status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
