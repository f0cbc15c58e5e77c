import { AwsError, errorOf, type ResponseTarget } from './aws-error.ts';
import { jsonAuthError } from './auth-errors.ts';
import { JSON_COMMON_ERRORS, writeJsonError } from './json-errors.ts';
import { notImplemented } from './not-implemented.ts';
import { decodeUriOrThrow } from './uri.ts';

/** rest-json (API Gateway, Lambda): the operation is the method and path; JSON bodies; errors by `x-amzn-errortype`. */
export const REST_JSON_ERRORS = JSON_COMMON_ERRORS;

export type RestJsonErrorCode = keyof typeof REST_JSON_ERRORS;

export const restJsonError = (code: RestJsonErrorCode, message?: string): AwsError =>
  errorOf(REST_JSON_ERRORS, code, message);

/** The error body most rest-json services write: `{"message": ..., ...extra}`. */
export function restJsonErrorBody(err: AwsError): string {
  return JSON.stringify({ message: err.message, ...err.extra });
}

/** Writes `err` (the edge's auth errors in rest-json codes); `body` is the service's error body when it differs. */
export function writeRestJsonError(
  target: ResponseTarget,
  err: AwsError,
  body: (err: AwsError) => string = restJsonErrorBody,
): void {
  const mapped = jsonAuthError(err);
  writeJsonError(target, mapped, 'application/json', body(mapped));
}

/** Writes a result: JSON when there is a body, nothing (e.g. 204) when there is none. */
export function sendRestJson(target: ResponseTarget, status: number, body?: unknown): void {
  const headers: Record<string, string> = { 'x-amzn-requestid': target.requestId };
  if (body !== undefined) headers['content-type'] = 'application/json';
  target.res.writeHead(status, headers);
  target.res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** A path parameter, decoded; a bad `%` escape is the service's 400 (`error`). */
export function pathParameter(raw: string, error: (raw: string) => Error): string {
  return decodeUriOrThrow(raw, error);
}

/** 501 NotImplemented naming a rest-json operation (by its model name when known, else method and path). */
export function restJsonNotImplemented(service: string, operation: string): AwsError {
  return notImplemented(service, operation);
}
