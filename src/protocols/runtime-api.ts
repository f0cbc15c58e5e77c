import type { ServerResponse } from 'node:http';
import { errorOf, type AwsError, type ErrorTable } from './aws-error.ts';

/**
 * The Lambda Runtime API (`/2018-06-01/runtime/...`), spoken by a function's bootstrap: plain JSON, errors as
 * `{"errorMessage": ..., "errorType": ...}` (the API's ErrorResponse shape), no request id header.
 */
export const RUNTIME_API_ERRORS = {
  NotImplemented: { status: 501, message: 'The operation is not implemented by the local Runtime API.' },
  InvalidRequestID: { status: 400, message: 'Invalid request ID.' },
  InvalidStateTransition: { status: 403, message: 'State transition from the current state is not allowed.' },
  RequestEntityTooLarge: { status: 413, message: 'The payload is too large.' },
  NotFound: { status: 404, message: 'Not Found' },
} as const satisfies ErrorTable;

export type RuntimeApiErrorCode = keyof typeof RUNTIME_API_ERRORS;

export const runtimeApiError = (code: RuntimeApiErrorCode, message?: string): AwsError =>
  errorOf(RUNTIME_API_ERRORS, code, message);

export function writeRuntimeApiError(res: ServerResponse, err: AwsError): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(err.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errorMessage: err.message, errorType: err.code }));
}

export function sendRuntimeApiJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
