import { escapeXml } from '../protocols/xml.ts';

/** A result tree as IAM's query protocol writes it: lists are `<member>` elements; undefined members are left out. */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | { readonly [name: string]: XmlValue };

/** The XML of `fields`, one element per defined member, in the object's order. */
export function resultXml(fields: { readonly [name: string]: XmlValue }, depth = 2): string {
  let xml = '';
  for (const [name, value] of Object.entries(fields)) xml += elementXml(name, value, depth);
  return xml;
}

function elementXml(name: string, value: XmlValue, depth: number): string {
  if (value === undefined) return '';
  const pad = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}<${name}/>\n`;
    return `${pad}<${name}>\n${value.map((v) => elementXml('member', v, depth + 1)).join('')}${pad}</${name}>\n`;
  }
  if (typeof value === 'object') {
    const inner = resultXml(value, depth + 1);
    return inner === '' ? `${pad}<${name}/>\n` : `${pad}<${name}>\n${inner}${pad}</${name}>\n`;
  }
  return `${pad}<${name}>${escapeXml(value)}</${name}>\n`;
}
