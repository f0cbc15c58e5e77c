import { AwsError, errorOf, type ErrorTable, type ResponseTarget } from './aws-error.ts';
import { jsonAuthError } from './auth-errors.ts';
import { JSON_COMMON_ERRORS, parseJsonBody, writeJsonError } from './json-errors.ts';
import { notImplemented } from './not-implemented.ts';

/**
 * JSON 1.0 / 1.1 (Cognito, DynamoDB, SQS): `POST /` with `X-Amz-Target: Prefix.Operation` and a JSON body;
 * errors carry `__type` in the body.
 */
export const JSON_ERRORS = {
  ...JSON_COMMON_ERRORS,
  UnknownOperationException: { status: 400, message: 'The action or operation requested is invalid.' },
  SerializationException: { status: 400, message: 'The request body could not be parsed as JSON.' },
} as const satisfies ErrorTable;

export type JsonErrorCode = keyof typeof JSON_ERRORS;

export const jsonError = (code: JsonErrorCode, message?: string): AwsError => errorOf(JSON_ERRORS, code, message);

export type JsonVersion = '1.0' | '1.1';

/** A JSON-protocol service's identity on the wire. */
export interface JsonService {
  /** The service name in messages (`cognito-idp`). */
  readonly name: string;
  /** `X-Amz-Target`'s prefix (`AWSCognitoIdentityProviderService`). */
  readonly targetPrefix: string;
  readonly jsonVersion: JsonVersion;
}

export const jsonContentType = (version: JsonVersion): string => `application/x-amz-json-${version}`;

/** The operation `X-Amz-Target` names, or undefined when the header is missing or names another service. */
export function targetOperation(header: string | string[] | undefined, targetPrefix: string): string | undefined {
  if (typeof header !== 'string') return undefined;
  const dot = header.lastIndexOf('.');
  if (dot === -1 || header.slice(0, dot) !== targetPrefix) return undefined;
  return header.slice(dot + 1) || undefined;
}

/** A JSON operation: it receives the parsed body and returns the result object. */
export type JsonOperation = (input: unknown, target: ResponseTarget) => unknown;

/**
 * Runs the operation `X-Amz-Target` names and writes its result. An operation not in `operations` is 501
 * NotImplemented naming it; a target for another service is UnknownOperationException.
 */
export async function serveJson(
  service: JsonService,
  operations: Readonly<Record<string, JsonOperation>>,
  target: ResponseTarget,
  targetHeader: string | string[] | undefined,
  body: Buffer | undefined,
): Promise<void> {
  const name = targetOperation(targetHeader, service.targetPrefix);
  if (name === undefined) throw jsonError('UnknownOperationException');
  const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
  if (!operation) throw notImplemented(service.name, name);
  const input = parseJsonBody(body, (reason) => jsonError('SerializationException', reason));
  writeJsonResult(target, service.jsonVersion, await operation(input, target));
}

export function writeJsonResult(target: ResponseTarget, version: JsonVersion, result: unknown): void {
  target.res.writeHead(200, { 'content-type': jsonContentType(version), 'x-amzn-requestid': target.requestId });
  target.res.end(JSON.stringify(result ?? {}));
}

/** `{"__type": code, "message": ...}` with the edge's auth errors in JSON codes. */
export function writeJsonProtocolError(target: ResponseTarget, version: JsonVersion, error: AwsError): void {
  const err = jsonAuthError(error);
  writeJsonError(
    target,
    err,
    jsonContentType(version),
    JSON.stringify({ __type: err.code, message: err.message, ...err.extra }),
  );
}
