import type { GatewayRequest } from '../request-context.ts';

/** The caller an `AWS_IAM` route verified: `requestContext.authorizer.iam` of payload 2.0. */
export interface IamIdentity {
  accessKey: string;
  accountId: string;
  callerId: string;
  cognitoIdentity: null;
  principalOrgId: null;
  userArn: string;
  userId: string;
}

/** What an authorizer found out about the caller; it reaches the integration and the access log. */
export type AuthorizerContext =
  | { kind: 'jwt'; claims: Record<string, string>; scopes: string[] | null }
  | { kind: 'lambda'; principalId?: string; context: Record<string, unknown> | null }
  | { kind: 'iam'; identity: IamIdentity };

/** A refusal: the gateway's answer to the client and the text of `$context.authorizer.error`. */
export interface AuthorizerFailure {
  status: number;
  message: string;
  headers?: Record<string, string>;
  /** Sent as `x-amzn-ErrorType` (SigV4 failures). */
  errorType?: string;
  error: string;
}

export type Refusal = { failure: AuthorizerFailure; context?: undefined };
export type AuthorizerDecision = { context: AuthorizerContext; failure?: undefined } | Refusal;

/** The authorization step of one route, made when the stage is compiled; routes without one have none. */
export type RouteAuthorizer = (g: GatewayRequest) => AuthorizerDecision | Promise<AuthorizerDecision>;

export const UNAUTHORIZED = 'Unauthorized';
export const FORBIDDEN = 'Forbidden';
export const INTERNAL = 'Internal Server Error';

export function refuse(status: 401 | 403 | 500, error: string, headers?: Record<string, string>): Refusal {
  const message = status === 401 ? UNAUTHORIZED : status === 403 ? FORBIDDEN : INTERNAL;
  return { failure: { status, message, error, headers } };
}
