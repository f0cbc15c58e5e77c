export { AwsError } from '../protocols/aws-error.ts';
