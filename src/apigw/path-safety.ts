/** How many layers of percent-encoding are peeled off when looking for dot segments (`%25252e` is three). */
const MAX_DECODE_DEPTH = 4;
/** A segment that is `.` or `..`, with `/` or `\` as the separator (WHATWG URLs treat `\` as `/` for http). */
const DOT_SEGMENT = /(?:^|[/\\])\.\.?(?:[/\\]|$)/;

/**
 * Whether a request path could climb out of the integration URI's path on the way to the backend: some segment is
 * `.` or `..` once decoded, at any depth of percent-encoding (`%2e%2e`, `%252e%252e`, `.%2e`, `..%2f` inside
 * `{proxy+}`), with `/` or `\` as the separator (WHATWG URLs treat `\` as `/` for http).
 */
export function escapesBasePath(decodedPath: string): boolean {
  let path = decodedPath;
  for (let depth = 0; depth < MAX_DECODE_DEPTH; depth++) {
    if (DOT_SEGMENT.test(path)) return true;
    if (!path.includes('%')) return false;
    const decoded = decodeOnce(path);
    if (decoded === path) return false;
    path = decoded;
  }
  // Still encoded after that many layers: nothing legitimate looks like this.
  return path.includes('%');
}

function decodeOnce(s: string): string {
  // Each valid escape on its own, so one malformed `%` does not stop the others from being seen.
  return s.replace(/%[0-9a-f]{2}/gi, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
}
