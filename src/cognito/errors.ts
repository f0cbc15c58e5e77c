import { AwsError } from '../edge/errors.ts';

/** Cognito's errors: all client errors are HTTP 400 with `__type` and `message`. */
export const cognitoErrors = {
  poolNotFound: (id: string) => new AwsError(400, 'ResourceNotFoundException', `User pool ${id} does not exist.`),
  clientNotFound: (id: string) =>
    new AwsError(400, 'ResourceNotFoundException', `User pool client ${id} does not exist.`),
  userNotFound: () => new AwsError(400, 'UserNotFoundException', 'User does not exist.'),
  userExists: () => new AwsError(400, 'UsernameExistsException', 'User account already exists'),
  invalidPassword: (problem: string) =>
    new AwsError(400, 'InvalidPasswordException', `Password did not conform with policy: ${problem}`),
  invalidParameter: (message: string) => new AwsError(400, 'InvalidParameterException', message),
  validation: (message: string) =>
    new AwsError(400, 'InvalidParameterException', `1 validation error detected: ${message}`),
  notAuthorized: (message: string) => new AwsError(400, 'NotAuthorizedException', message),
  userNotConfirmed: () => new AwsError(400, 'UserNotConfirmedException', 'User is not confirmed.'),
  codeMismatch: (message: string) => new AwsError(400, 'CodeMismatchException', message),
  /** An admin operation without a signature (unconfirmed: the code AWS's front door answers). */
  missingAuthentication: () => new AwsError(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token'),
};

export const INCORRECT_CREDENTIALS = 'Incorrect username or password.';
