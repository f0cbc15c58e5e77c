/** Kept for src/s3/ (its helper moves its imports to src/protocols/aws-error.ts). */
export { AwsError } from '../protocols/aws-error.ts';
