import { compactVerify, errors as joseErrors } from 'jose';
import type { Authorizer } from '../model.ts';
import type { GatewayRequest } from '../request-context.ts';
import { identityReader } from './identity-source.ts';
import { IssuerKeySets, KeysUnavailable } from './jwks.ts';
import { refuse, type AuthorizerDecision, type RouteAuthorizer } from './types.ts';

/** "Currently, only RSA-based algorithms are supported." */
const ALGORITHMS = ['RS256', 'RS384', 'RS512'];
/** Allowance for an issuer whose clock is a little ahead, for `nbf` and `iat` only (unconfirmed on AWS). */
const FUTURE_LEEWAY_S = 5;
/** Verified tokens kept per issuer and audience list; the whole cache is dropped when full. */
const MAX_CACHED_TOKENS = 10_000;
const textDecoder = new TextDecoder();

/** A token whose signature, issuer and audience were checked; its times are checked on every use. */
interface VerifiedToken {
  exp: number;
  nbf?: number;
  iat?: number;
  /** Claims as API Gateway passes them on: every value a string. */
  claims: Record<string, string>;
  /** The token's `scope` (space-separated) or `scp` claim; null when it has neither. */
  scopes: string[] | null;
}

type Verification = VerifiedToken | { error: string };

/** Verifies tokens for one issuer and audience list, remembering each verified token until it expires. */
export class JwtVerifier {
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly issuer: string,
    private readonly audience: readonly string[],
    private readonly keySets: IssuerKeySets,
  ) {}

  /** The token checked, or why it is refused (the `error_description`). */
  verify(token: string, nowS: number): Verification | Promise<Verification> {
    const known = this.verified.get(token);
    if (known) {
      if (known.exp <= nowS) this.verified.delete(token);
      return checkTimes(known, nowS);
    }
    return this.verifyNew(token).then((result) => {
      if ('error' in result) return result;
      if (this.verified.size >= MAX_CACHED_TOKENS) this.verified.clear();
      this.verified.set(token, result);
      return checkTimes(result, Math.floor(Date.now() / 1000));
    });
  }

  private async verifyNew(token: string): Promise<Verification> {
    let payloadBytes: Uint8Array;
    try {
      const keys = await this.keySets.keysOf(this.issuer);
      ({ payload: payloadBytes } = await compactVerify(token, keys, { algorithms: ALGORITHMS }));
    } catch (err) {
      return { error: signatureError(err) };
    }
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(textDecoder.decode(payloadBytes)) as Record<string, unknown>;
    } catch {
      return { error: 'the token payload is not JSON' };
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
      return { error: 'the token payload is not a JSON object' };
    if (payload.iss !== this.issuer) return { error: 'the token does not have a valid issuer' };
    if (!this.audienceMatches(payload)) return { error: 'the token does not have a valid audience' };
    if (typeof payload.exp !== 'number') return { error: 'the token has no valid exp claim' };
    if (payload.nbf !== undefined && typeof payload.nbf !== 'number')
      return { error: 'the token has an invalid nbf claim' };
    if (payload.iat !== undefined && typeof payload.iat !== 'number')
      return { error: 'the token has an invalid iat claim' };
    return {
      exp: payload.exp,
      nbf: payload.nbf,
      iat: payload.iat,
      claims: claimStrings(payload),
      scopes: tokenScopes(payload),
    };
  }

  /** `aud` decides when present (any element of a list); `client_id` is used only without `aud`. */
  private audienceMatches(payload: Record<string, unknown>): boolean {
    const aud = payload.aud;
    if (aud !== undefined) {
      const values = Array.isArray(aud) ? aud : [aud];
      return values.some((v) => typeof v === 'string' && this.audience.includes(v));
    }
    return typeof payload.client_id === 'string' && this.audience.includes(payload.client_id);
  }
}

function checkTimes(token: VerifiedToken, nowS: number): Verification {
  if (token.exp <= nowS) return { error: 'the token has expired' };
  if (token.nbf !== undefined && token.nbf > nowS + FUTURE_LEEWAY_S) return { error: 'the token is not valid yet' };
  if (token.iat !== undefined && token.iat > nowS + FUTURE_LEEWAY_S)
    return { error: 'the token was issued in the future' };
  return token;
}

function signatureError(err: unknown): string {
  if (err instanceof KeysUnavailable) return `the issuer's signing keys are unavailable: ${err.message}`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is not signed with an RSA algorithm';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'the token was not signed by a key of the issuer';
  if (err instanceof joseErrors.JWKSMultipleMatchingKeys) return 'the token has no kid and the issuer has several keys';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (err instanceof joseErrors.JWKSTimeout) return "the issuer's JWKS could not be fetched in time";
  if (err instanceof joseErrors.JWSInvalid) return 'the token is not a valid JWT';
  if (err instanceof joseErrors.JOSEError) return `the token could not be verified: ${err.message}`;
  throw err;
}

/** Every claim as a string: numbers and booleans as text, lists as `[a b]`, objects as JSON; nulls dropped. */
export function claimStrings(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') claims[name] = value;
    else if (Array.isArray(value))
      claims[name] = `[${value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ')}]`;
    else if (typeof value === 'number' || typeof value === 'boolean') claims[name] = String(value);
    else claims[name] = JSON.stringify(value);
  }
  return claims;
}

function tokenScopes(payload: Record<string, unknown>): string[] | null {
  const scope = payload.scope ?? payload.scp;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scope)) return scope.filter((s): s is string => typeof s === 'string');
  return null;
}

const BEARER = /^bearer /i;

function invalidToken(description: string): Record<string, string> {
  return {
    'www-authenticate': `Bearer scope="" error="invalid_token" error_description="${description.replace(/["\\]/g, '')}"`,
  };
}

/** The authorization step of a route protected by a JWT authorizer, with the route's `authorizationScopes`. */
export function jwtRouteAuthorizer(
  authorizer: Authorizer,
  routeScopes: readonly string[],
  verifier: JwtVerifier,
): RouteAuthorizer {
  const read = identityReader(authorizer.identitySource[0] ?? '$request.header.Authorization');
  return (g: GatewayRequest): AuthorizerDecision | Promise<AuthorizerDecision> => {
    const raw = read?.(g);
    const token = raw === undefined ? '' : BEARER.test(raw) ? raw.slice(7).trim() : raw.trim();
    if (token === '') return refuse(401, 'the token is missing');
    const result = verifier.verify(token, Math.floor(Date.now() / 1000));
    return result instanceof Promise
      ? result.then((verified) => decide(verified, routeScopes))
      : decide(result, routeScopes);
  };
}

/** A verified token's decision: its claims, or 403 when the route requires scopes (any one) it does not have. */
function decide(result: Verification, routeScopes: readonly string[]): AuthorizerDecision {
  if ('error' in result) return refuse(401, result.error, invalidToken(result.error));
  if (routeScopes.length === 0) return { context: { kind: 'jwt', claims: result.claims, scopes: null } };
  if (!result.scopes?.some((s) => routeScopes.includes(s))) {
    const error = 'the token does not have the scopes this route requires';
    const wanted = routeScopes.join(' ');
    return refuse(403, error, {
      'www-authenticate': `Bearer scope="${wanted}" error="insufficient_scope" error_description="${error}"`,
    });
  }
  return { context: { kind: 'jwt', claims: result.claims, scopes: result.scopes } };
}
