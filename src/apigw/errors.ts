import { AwsError } from '../protocols/aws-error.ts';

/** apigatewayv2 error shapes: status, `x-amzn-ErrorType` and a `{"message"}` body. */
export const badRequest = (message: string) => new AwsError(400, 'BadRequestException', message);
export const conflict = (message: string) => new AwsError(409, 'ConflictException', message);
export const notFound = (message: string, resourceType?: string) =>
  new AwsError(404, 'NotFoundException', message, resourceType ? { resourceType } : {});

/** The gateway's own data-plane errors: a status and a one-key JSON body, no error type header. */
export const GATEWAY_ERRORS = {
  badRequest: { status: 400, body: '{"message":"Bad Request"}' },
  notFound: { status: 404, body: '{"message":"Not Found"}' },
  internal: { status: 500, body: '{"message":"Internal Server Error"}' },
  unavailable: { status: 503, body: '{"message":"Service Unavailable"}' },
  tooMany: { status: 429, body: '{"message":"Too Many Requests"}' },
  tooLarge: { status: 413, body: '{"message":"Request Entity Too Large"}' },
} as const;

export type GatewayError = keyof typeof GATEWAY_ERRORS;
