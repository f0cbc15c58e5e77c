import { AwsError } from '../../edge/errors.ts';
import { invokeWithin, type LambdaInvoker } from '../../lambda/invoker.ts';
import { eventV1, eventV2 } from '../lambda-payloads.ts';
import type { Authorizer } from '../model.ts';
import type { GatewayRequest } from '../request-context.ts';
import { parsePolicyDocument, policyAllows, type ExecuteApiStatement } from './execute-api-policy.ts';
import { identityReader, type IdentityReader } from './identity-source.ts';
import type { AuthorizerResultCache } from './result-cache.ts';
import { refuse, type AuthorizerDecision, type Refusal, type RouteAuthorizer } from './types.ts';

/** API Gateway waits this long for a Lambda authorizer. */
const AUTHORIZER_TIMEOUT_MS = 10_000;
const NO_BODY = Buffer.alloc(0);

/** A Lambda authorizer's answer, as kept in the cache: a policy is evaluated again for each request's route ARN. */
export type LambdaAnswer =
  | { simple: true; isAuthorized: boolean; context: Record<string, unknown> | null }
  | { simple: false; principalId?: string; statements: ExecuteApiStatement[]; context: Record<string, unknown> | null };

export interface LambdaAuthorizerDeps {
  region: string;
  accountId: string;
  invoker: LambdaInvoker;
  cache: AuthorizerResultCache<LambdaAnswer>;
  functionOfUri: (uri: string) => string;
  warn: (detail: Record<string, unknown>, message: string) => void;
}

class BadAnswer extends Error {}

/** The authorization step of a route protected by a Lambda (`REQUEST`) authorizer. */
export function lambdaRouteAuthorizer(authorizer: Authorizer, deps: LambdaAuthorizerDeps): RouteAuthorizer {
  const readers = authorizer.identitySource.map(identityReader).filter((r): r is IdentityReader => r !== undefined);
  const ttlMs = (authorizer.authorizerResultTtlInSeconds ?? 0) * 1000;
  const caching = ttlMs > 0 && readers.length > 0;
  const version = authorizer.authorizerPayloadFormatVersion ?? '2.0';
  const simple = version === '2.0' && authorizer.enableSimpleResponses === true;
  const fn = deps.functionOfUri(authorizer.authorizerUri ?? '');
  const arnPrefix = `arn:aws:execute-api:${deps.region}:${deps.accountId}`;
  const sourceArn = (apiId: string) =>
    `arn:aws:execute-api:${deps.region}:${deps.accountId}:${apiId}/authorizers/${authorizer.authorizerId}`;

  return async (g: GatewayRequest): Promise<AuthorizerDecision> => {
    const values: string[] = [];
    for (const read of readers) {
      const value = read(g);
      if (value === undefined || value === '')
        return refuse(401, 'The identity source of the request is missing or empty');
      values.push(value);
    }
    const routeArn = `${arnPrefix}:${g.apiId}/${g.stageName}/${g.method}${g.path}`;
    const key = caching ? `${authorizer.authorizerId}\u0000${values.join('\u0000')}` : '';
    let answer = caching ? deps.cache.get(g.apiId, g.stageName, key, Date.now()) : undefined;
    if (!answer) {
      const invoked = await invokeAuthorizer(
        g,
        version === '2.0' ? eventV2Request(g, routeArn, values) : eventV1Request(g, routeArn, values),
      );
      if ('failure' in invoked) return invoked;
      answer = invoked;
      if (caching) deps.cache.set(g.apiId, g.stageName, key, answer, Date.now() + ttlMs);
    }
    return decide(answer, routeArn);
  };

  async function invokeAuthorizer(g: GatewayRequest, event: Record<string, unknown>): Promise<LambdaAnswer | Refusal> {
    const invoker = deps.invoker;
    if (
      !authorizer.authorizerCredentialsArn &&
      !invoker.isInvokeAllowed(fn, 'apigateway.amazonaws.com', sourceArn(g.apiId))
    ) {
      deps.warn(
        { function: fn, sourceArn: sourceArn(g.apiId) },
        `no resource-policy statement lets apigateway.amazonaws.com invoke the authorizer ${fn}`,
      );
      return refuse(500, 'Execution failed due to configuration error: Invalid permissions on Lambda function');
    }
    try {
      return parseAnswer(await invokeWithTimeout(invoker, fn, event), simple, version);
    } catch (err) {
      if (!(err instanceof BadAnswer || err instanceof AwsError)) throw err;
      deps.warn({ function: fn, reason: err.message }, 'Lambda authorizer failed');
      return refuse(500, err.message);
    }
  }
}

function decide(answer: LambdaAnswer, routeArn: string): AuthorizerDecision {
  if (answer.simple) {
    if (!answer.isAuthorized) return refuse(403, 'The authorizer denied the request');
    return { context: { kind: 'lambda', context: answer.context } };
  }
  if (!policyAllows(answer.statements, routeArn))
    return refuse(403, `The authorizer's policy does not allow execute-api:Invoke on ${routeArn}`);
  return { context: { kind: 'lambda', principalId: answer.principalId, context: answer.context } };
}

async function invokeWithTimeout(invoker: LambdaInvoker, fn: string, event: Record<string, unknown>): Promise<string> {
  const result = await invokeWithin(invoker, fn, event, AUTHORIZER_TIMEOUT_MS);
  if (result === 'timeout') throw new BadAnswer(`The authorizer did not answer within ${AUTHORIZER_TIMEOUT_MS} ms`);
  if (result.functionError)
    throw new BadAnswer(`The authorizer function returned an error: ${result.payload.slice(0, 500)}`);
  return result.payload;
}

function parseAnswer(payload: string, simple: boolean, version: string): LambdaAnswer {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    throw new BadAnswer('The authorizer returned a payload that is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new BadAnswer('The authorizer returned a payload that is not a JSON object');
  const answer = value as Record<string, unknown>;
  const context = answer.context;
  if (context !== undefined && context !== null && (typeof context !== 'object' || Array.isArray(context))) {
    throw new BadAnswer('The authorizer returned a context that is not an object');
  }
  const ctx = (context ?? null) as Record<string, unknown> | null;
  if (simple) {
    if (typeof answer.isAuthorized !== 'boolean')
      throw new BadAnswer('The authorizer response has no boolean isAuthorized');
    return { simple: true, isAuthorized: answer.isAuthorized, context: ctx };
  }
  // `claims` is reserved in a format 1.0 context (the data plane puts a JWT's claims there).
  if (version === '1.0' && ctx && 'claims' in ctx)
    throw new BadAnswer('The authorizer context uses the reserved key claims');
  const statements = parsePolicyDocument(answer.policyDocument);
  if (!statements) throw new BadAnswer('The authorizer response has no valid policyDocument');
  if (answer.principalId !== undefined && typeof answer.principalId !== 'string')
    throw new BadAnswer('The authorizer returned a principalId that is not a string');
  return { simple: false, principalId: answer.principalId, statements, context: ctx };
}

/** Payload 2.0 authorizer event: the proxy event without a body, plus `type`, `routeArn` and `identitySource`. */
function eventV2Request(g: GatewayRequest, routeArn: string, identitySource: string[]): Record<string, unknown> {
  const { body: _body, isBase64Encoded: _b64, version: _v, ...proxy } = eventV2(g, NO_BODY);
  return { version: '2.0', type: 'REQUEST', routeArn, identitySource, ...proxy };
}

/** Payload 1.0 authorizer event: `methodArn`; identity values joined by `,` (`identitySource`, `authorizationToken`). */
function eventV1Request(g: GatewayRequest, methodArn: string, identitySource: string[]): Record<string, unknown> {
  const resource = g.routeKey === '$default' ? '$default' : g.routeKey.slice(g.routeKey.indexOf(' ') + 1);
  const { body: _body, isBase64Encoded: _b64, version: _v, ...proxy } = eventV1(g, NO_BODY, resource);
  const joined = identitySource.join(',');
  return { version: '1.0', type: 'REQUEST', methodArn, identitySource: joined, authorizationToken: joined, ...proxy };
}
