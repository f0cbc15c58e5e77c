/** Percent-decodes `text`; undefined when it holds a bad `%` escape or invalid UTF-8. */
export function decodeUri(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Percent-decodes `text`, keeping it as received when it cannot be decoded (for matching, never for names). */
export function decodeUriOrKeep(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Percent-decodes `text` or throws the protocol's error: a bad `%` escape in a request is the client's mistake
 * (a 400 in the service's format), never a 500.
 */
export function decodeUriOrThrow(text: string, error: (raw: string) => Error): string {
  const decoded = decodeUri(text);
  if (decoded === undefined) throw error(text);
  return decoded;
}
