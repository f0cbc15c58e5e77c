import { AwsError } from '../protocols/aws-error.ts';

/** Shapes whose message member the Lambda model spells `Message`; the others use `message`. */
const CAPITALISED_MESSAGE = new Set(['ResourceNotFoundException', 'ServiceException']);

/** The JSON body of a Lambda error, as the service model spells it. */
export function lambdaErrorBody(err: AwsError): string {
  const messageKey = CAPITALISED_MESSAGE.has(err.code) ? 'Message' : 'message';
  return JSON.stringify({ Type: err.status >= 500 ? 'Service' : 'User', [messageKey]: err.message, ...err.extra });
}

export const invalidParameter = (message: string) => new AwsError(400, 'InvalidParameterValueException', message);
export const notFound = (message: string) => new AwsError(404, 'ResourceNotFoundException', message);
export const conflict = (message: string) => new AwsError(409, 'ResourceConflictException', message);
export const preconditionFailed = () =>
  new AwsError(
    412,
    'PreconditionFailedException',
    'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
  );
