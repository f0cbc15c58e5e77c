import { invalidParameter } from './errors.ts';

export interface FunctionRef {
  name: string;
  qualifier?: string;
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const FULL_ARN = /^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9$_-]+))?$/;
const PARTIAL_ARN = /^\d{12}:function:([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9$_-]+))?$/;
const NAME_WITH_QUALIFIER = /^([a-zA-Z0-9_-]{1,64}):([a-zA-Z0-9$_-]+)$/;

/** Reads a function name, `name:qualifier`, full ARN or partial ARN (`123456789012:function:name`). */
export function parseFunctionRef(value: string): FunctionRef {
  if (NAME.test(value)) return { name: value };
  const m = FULL_ARN.exec(value) ?? PARTIAL_ARN.exec(value) ?? NAME_WITH_QUALIFIER.exec(value);
  if (!m || m[1].length > 64) {
    throw invalidParameter(
      `1 validation error detected: Value '${value}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`,
    );
  }
  return m[2] === undefined ? { name: m[1] } : { name: m[1], qualifier: m[2] };
}

export function functionArn(region: string, accountId: string, name: string, qualifier?: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
}
