import { XMLParser } from 'fast-xml-parser';
import { AwsError } from '../edge/errors.ts';

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Escapes text for XML; control characters (legal in S3 keys) become numeric references, as S3 writes them. */
export function escapeXml(value: string | number | boolean): string {
  return String(value).replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&apos;';
      default: return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

/** `<name>escaped value</name>`, or nothing when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`;
}

/** `<name>inner</name>` where inner is already XML. */
export function wrap(name: string, inner: string, attributes = ''): string {
  return `<${name}${attributes}>${inner}</${name}>`;
}

/** A whole response document with S3's namespace on the root element. */
export function document(root: string, inner: string): string {
  return `${XML_DECLARATION}${wrap(root, inner, ` xmlns="${S3_NAMESPACE}"`)}`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => ['Part', 'Object', 'CORSRule', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader'].includes(name),
});

/** Parses a request body; anything that is not well-formed XML with the expected root is MalformedXML. */
export function parseXmlBody(body: Buffer, root: string): Record<string, unknown> {
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(body.toString('utf8'), true) as Record<string, unknown>;
  } catch {
    throw malformedXml();
  }
  const value = parsed[root];
  if (value === undefined || value === null || typeof value !== 'object') throw malformedXml();
  return value as Record<string, unknown>;
}

export function malformedXml(): AwsError {
  return new AwsError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
}
