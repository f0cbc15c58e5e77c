/** An error in AWS's terms: HTTP status, error code, message and the extra fields the service's error body carries. */
export class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/**
 * Signature-check failures use S3's codes (the most detailed); JSON services (Lambda, API Gateway, STS)
 * translate them with `toJsonServiceAuthError`.
 */
export function toJsonServiceAuthError(err: AwsError): AwsError {
  if (err.extra.Region !== undefined) return new AwsError(403, 'InvalidSignatureException', 'Credential should be scoped to a valid region.');
  switch (err.code) {
    case 'InvalidAccessKeyId':
      return new AwsError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    case 'SignatureDoesNotMatch':
      return new AwsError(
        403,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    case 'RequestTimeTooSkewed':
      return new AwsError(403, 'InvalidSignatureException', `Signature expired: ${err.message}`);
    case 'AccessDenied':
      return new AwsError(403, 'AccessDeniedException', err.message);
    default:
      return new AwsError(err.status >= 500 ? err.status : 403, 'IncompleteSignatureException', err.message);
  }
}
