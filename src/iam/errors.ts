import { AwsError } from '../edge/errors.ts';

/** IAM's errors, with the statuses of its model and the messages IAM writes. */
export const iamErrors = {
  noSuchRole: (name: string) => new AwsError(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`),
  roleExists: (name: string) => new AwsError(409, 'EntityAlreadyExists', `Role with name ${name} already exists.`),
  noSuchRolePolicy: (role: string, policy: string) =>
    new AwsError(404, 'NoSuchEntity', `The role policy with name ${policy} cannot be found.`, { role }),
  policyNotFound: (arn: string) => new AwsError(404, 'NoSuchEntity', `Policy ${arn} was not found.`),
  policyNotAttachable: (arn: string) =>
    new AwsError(404, 'NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`),
  policyExists: (name: string) =>
    new AwsError(
      409,
      'EntityAlreadyExists',
      `A policy called ${name} already exists. Duplicate names are not allowed.`,
    ),
  roleHasAttachedPolicies: () =>
    new AwsError(409, 'DeleteConflict', 'Cannot delete entity, must detach all policies first.'),
  roleHasInlinePolicies: () => new AwsError(409, 'DeleteConflict', 'Cannot delete entity, must delete policies first.'),
  policyAttached: () => new AwsError(409, 'DeleteConflict', 'Cannot delete a policy attached to entities.'),
  malformedPolicy: (message: string) => new AwsError(400, 'MalformedPolicyDocument', message),
  invalidArn: (arn: string) => new AwsError(400, 'InvalidInput', `ARN ${arn} is not valid.`),
  validation: (message: string) => new AwsError(400, 'ValidationError', `1 validation error detected: ${message}`),
  invalidMarker: () => new AwsError(400, 'InvalidInput', 'Invalid Marker.'),
};
