import type { IncomingMessage } from 'node:http';
import type { AuthorizerContext } from './authorizers/types.ts';

/** Everything the gateway knows about one data-plane request once its stage and route are chosen. */
export interface GatewayRequest {
  req: IncomingMessage;
  requestId: string;
  accountId: string;
  apiId: string;
  stageName: string;
  stageVariables: Record<string, string>;
  routeKey: string;
  pathParameters?: Record<string, string>;
  method: string;
  /** Decoded request path without the stage segment (what routes match). */
  path: string;
  /** Decoded request path as the client sent it, stage segment included (`rawPath` of events). */
  fullPath: string;
  rawQuery: string;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  domainPrefix: string;
  /** The port the client reached, for x-forwarded-port. */
  localPort: number;
  traceId: string;
  startedAt: number;
  /** What the route's authorizer found out about the caller. */
  authorizer?: AuthorizerContext;
  /** The body, when the authorizer had to read it (an `AWS_IAM` signature covers it); else it is still in `req`. */
  body?: Buffer;
}

/** Request headers in arrival order with their names as sent. */
export function headerPairs(req: IncomingMessage): Array<[string, string]> {
  const raw = req.rawHeaders;
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
  return pairs;
}
