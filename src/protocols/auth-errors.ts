import { AwsError } from './aws-error.ts';

/**
 * The edge's signature check throws S3's codes (the most detailed set). Services of the other protocols
 * answer with their own codes; these are the codes the edge's check can throw.
 */
const EDGE_AUTH_CODES: ReadonlySet<string> = new Set([
  'AuthorizationHeaderMalformed',
  'AuthorizationQueryParametersError',
  'AccessDenied',
  'InvalidAccessKeyId',
  'InvalidRequest',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
]);

export function isEdgeAuthError(err: AwsError): boolean {
  return EDGE_AUTH_CODES.has(err.code);
}

/** A credential scope naming another region than the edge's (S3 names the expected one in `Region`). */
function isWrongRegion(err: AwsError): boolean {
  return (
    (err.code === 'AuthorizationHeaderMalformed' || err.code === 'AuthorizationQueryParametersError') &&
    err.extra.Region !== undefined
  );
}

const WRONG_REGION = 'Credential should be scoped to a valid region.';

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** JSON and rest-json services (Lambda, API Gateway, Cognito, DynamoDB): an edge auth error in their codes. */
export function jsonAuthError(err: AwsError): AwsError {
  if (!isEdgeAuthError(err)) return err;
  if (isWrongRegion(err)) return new AwsError(403, 'InvalidSignatureException', WRONG_REGION);
  switch (err.code) {
    case 'InvalidAccessKeyId':
      return new AwsError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    case 'SignatureDoesNotMatch':
      return new AwsError(403, 'InvalidSignatureException', SIGNATURE_MISMATCH);
    case 'RequestTimeTooSkewed':
      return new AwsError(403, 'InvalidSignatureException', `Signature expired: ${err.message}`);
    case 'AccessDenied':
      return new AwsError(403, 'AccessDeniedException', err.message);
    default:
      return new AwsError(403, 'IncompleteSignatureException', err.message);
  }
}

const QUERY_AUTH_CODES: Readonly<Record<string, string>> = {
  InvalidAccessKeyId: 'InvalidClientTokenId',
  SignatureDoesNotMatch: 'SignatureDoesNotMatch',
  RequestTimeTooSkewed: 'SignatureDoesNotMatch',
  AuthorizationHeaderMalformed: 'IncompleteSignature',
  AuthorizationQueryParametersError: 'IncompleteSignature',
  InvalidRequest: 'IncompleteSignature',
  AccessDenied: 'AccessDenied',
};

/** Query services (STS, IAM, SNS): an edge auth error in their codes; the status is kept. */
export function queryAuthError(err: AwsError): AwsError {
  if (isWrongRegion(err)) return new AwsError(403, 'SignatureDoesNotMatch', WRONG_REGION);
  const code = isEdgeAuthError(err) ? QUERY_AUTH_CODES[err.code] : undefined;
  return code === undefined ? err : new AwsError(err.status, code, err.message);
}
