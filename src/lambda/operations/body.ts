import type { EdgeRequest } from '../../edge/types.ts';
import { AwsError } from '../../protocols/aws-error.ts';
import { parseJsonBody } from '../../protocols/json-errors.ts';

/** The request's JSON body; text that is not JSON is InvalidRequestContentException. */
export function jsonBody(request: EdgeRequest): unknown {
  return parseJsonBody(
    request.body,
    (reason) =>
      new AwsError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${reason}`),
  );
}
