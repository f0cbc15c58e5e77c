import { AwsError } from '../protocols/aws-error.ts';
import { invalidParameter } from './errors.ts';

/** Lambda's limit of tags on one resource. */
const MAX_TAGS = 50;
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 256;

/**
 * Checks the tags a resource would have after a change, as Lambda does: keys of 1 to 128 characters not starting
 * with `aws:`, values of at most 256 characters, at most 50 tags. Unconfirmed: Lambda's exact messages.
 */
export function checkTags(added: Record<string, string>, resulting: Record<string, string> = added): void {
  for (const [key, value] of Object.entries(added)) {
    if (key.length < 1 || key.length > MAX_KEY_LENGTH) {
      throw new AwsError(
        400,
        'ValidationException',
        `1 validation error detected: Value '${key}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to ${MAX_KEY_LENGTH}, Member must have length greater than or equal to 1]`,
      );
    }
    if (value.length > MAX_VALUE_LENGTH) {
      throw new AwsError(
        400,
        'ValidationException',
        `1 validation error detected: Value '${value}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to ${MAX_VALUE_LENGTH}]`,
      );
    }
    if (key.toLowerCase().startsWith('aws:'))
      throw invalidParameter(`Tag keys prefixed with 'aws:' are reserved: ${key}`);
  }
  if (Object.keys(resulting).length > MAX_TAGS) {
    throw invalidParameter(`Number of tags exceeds resource tag limit of ${MAX_TAGS}.`);
  }
}
