import { XMLParser } from 'fast-xml-parser';
import { AwsError } from '../edge/errors.ts';
import { escapeXml } from '../protocols/xml.ts';

export { escapeXml };

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

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
  isArray: (name) =>
    ['Part', 'Object', 'CORSRule', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader', 'Tag'].includes(
      name,
    ),
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
  return new AwsError(
    400,
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );
}
