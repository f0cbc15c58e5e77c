import { AwsError } from '../protocols/aws-error.ts';

const LAYER_NAME = /^[a-zA-Z0-9_-]+$/;
const LAYER_ARN = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9_-]+)$/;
const LAYER_VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9_-]+):([0-9]+)$/;

/** Where a layer lives: its name, region and account. */
export interface LayerRef {
  name: string;
  region?: string;
  accountId?: string;
}

export function layerArn(region: string, accountId: string, name: string): string {
  return `arn:aws:lambda:${region}:${accountId}:layer:${name}`;
}

export function layerVersionArn(region: string, accountId: string, name: string, version: number): string {
  return `${layerArn(region, accountId, name)}:${version}`;
}

/** The constraint failure Lambda answers for a value of the model that does not fit (its wording). */
export function validationError(value: string, member: string, constraint: string): AwsError {
  return new AwsError(
    400,
    'ValidationException',
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/** Reads the `LayerName` of a request: a name or a layer ARN (the model's LayerName shape). */
export function parseLayerName(value: string): LayerRef {
  if (value.length >= 1 && value.length <= 140) {
    if (LAYER_NAME.test(value)) return { name: value };
    const m = LAYER_ARN.exec(value);
    if (m) return { name: m[3], region: m[1], accountId: m[2] };
  }
  throw validationError(
    value,
    'layerName',
    'Member must satisfy regular expression pattern: ' +
      '(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+',
  );
}

/** Reads a `VersionNumber` path label (a Long). */
export function parseVersionNumber(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw validationError(value, 'versionNumber', 'Member must be a number');
  return Number(value);
}

/** Reads a layer version ARN (`arn:aws:lambda:{region}:{account}:layer:{name}:{version}`); undefined if not one. */
export function parseLayerVersionArn(
  value: string,
): { name: string; region: string; accountId: string; version: number } | undefined {
  const m = value.length <= 140 ? LAYER_VERSION_ARN.exec(value) : null;
  return m ? { region: m[1], accountId: m[2], name: m[3], version: Number(m[4]) } : undefined;
}

/** The model's pattern for a layer version ARN, as Lambda's validation messages quote it. */
export const LAYER_VERSION_ARN_PATTERN = 'arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+';
