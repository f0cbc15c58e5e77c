/**
 * Opaque pagination tokens. A token names its list (`scope`) and the position after which the next page starts;
 * it is base64url text that a client cannot usefully edit. `decode` answers undefined for a token this scheme did
 * not make (a typo, another list's token, an edited one): the service then answers its own error
 * (BadRequestException, InvalidParameterValueException, InvalidNextToken, ...), never page 1.
 */
export class PageTokens {
  private readonly prefix: string;

  constructor(scope: string) {
    if (scope.includes(':')) throw new Error(`a page token scope has no ':' (${scope})`);
    this.prefix = `ddn1:${scope}:`;
  }

  encode(position: string | number): string {
    return Buffer.from(this.prefix + String(position), 'utf8').toString('base64url');
  }

  decode(token: string): string | undefined {
    if (token === '' || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const text = Buffer.from(token, 'base64url').toString('utf8');
    if (!text.startsWith(this.prefix)) return undefined;
    const position = text.slice(this.prefix.length);
    // Base64url has several spellings of the same bytes in the last character: only ours is accepted.
    return this.encode(position) === token ? position : undefined;
  }

  /** A position that must be a non-negative integer (a row id). */
  decodeInteger(token: string): number | undefined {
    const position = this.decode(token);
    if (position === undefined || !/^\d{1,15}$/.test(position)) return undefined;
    return Number(position);
  }
}

/**
 * A page size from a query or body value: `fallback` when absent, capped at `max`; undefined when it is not an
 * integer of at least 1 (the caller throws its service's validation error).
 */
export function pageSize(raw: string | number | null | undefined, fallback: number, max: number): number | undefined {
  if (raw === null || raw === undefined) return fallback;
  const n = typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isInteger(n) || n < 1) return undefined;
  return Math.min(n, max);
}
