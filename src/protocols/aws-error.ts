/** An error in AWS's terms: HTTP status, error code, message and the extra fields the service's error body carries. */
export class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** One row of a protocol's or service's error table. */
export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

/** A table of errors by code: `{ InvalidAction: { status: 400, message: '...' } }`. */
export type ErrorTable<Code extends string = string> = { readonly [C in Code]: ErrorSpec };

/** The AwsError for `code` of `table`; `message` replaces the table's default message. */
export function errorOf<Code extends string>(
  table: ErrorTable<Code>,
  code: Code,
  message?: string,
  extra?: Record<string, string | number>,
): AwsError {
  const spec = table[code];
  return new AwsError(spec.status, code, message ?? spec.message, extra);
}

/** Where a protocol writes a response: the edge's request satisfies it. */
export interface ResponseTarget {
  readonly res: import('node:http').ServerResponse;
  readonly requestId: string;
}
