import { AwsError } from './aws-error.ts';

/**
 * The answer to an operation the edge does not implement (or does not know): 501 `NotImplemented`, naming the
 * operation, written by the service in its protocol's format. Nothing is changed.
 */
export function notImplemented(service: string, operation: string): AwsError {
  return new AwsError(
    501,
    'NotImplemented',
    `The ${service} operation ${operation} is not implemented by the local edge.`,
  );
}
