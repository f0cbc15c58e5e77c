/** Escapes text for XML; control characters (legal in S3 keys) become numeric references, as S3 writes them. */
export function escapeXml(value: string | number | boolean): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must become references
  return String(value).replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

/** `<name>escaped value</name>`, or nothing when the value is undefined. */
export function xmlElement(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`;
}
