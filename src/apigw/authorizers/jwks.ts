import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

/** Discovery and JWKS requests give up after this long (API Gateway's quota for both). */
const FETCH_TIMEOUT_MS = 1500;
/** Keys are kept this long, as the REST-API JWT documentation says (unconfirmed for HTTP APIs). */
const KEYS_MAX_AGE_MS = 60 * 60 * 1000;
/** A token naming an unknown `kid` refetches the JWKS, at most once per this interval. */
const REFETCH_COOLDOWN_MS = 1000;
/** After a failed discovery the issuer is not asked again for this long. */
const DISCOVERY_RETRY_MS = 1000;

export class KeysUnavailable extends Error {}

interface IssuerKeys {
  keys?: JWTVerifyGetKey;
  pending?: Promise<JWTVerifyGetKey>;
  failedAt?: number;
  failure?: string;
}

/**
 * The signing keys of every issuer the gateway has met, shared by all APIs: found through
 * `{issuer}/.well-known/openid-configuration`, fetched from its `jwks_uri` with jose's remote key set (which caches
 * the imported keys and refetches on an unknown `kid`). Fetches go over HTTP even for an issuer on this edge: they
 * are asynchronous, so the edge answers its own discovery requests while a verification waits.
 */
export class IssuerKeySets {
  private readonly issuers = new Map<string, IssuerKeys>();

  /** The key resolver of `issuer`; throws KeysUnavailable when discovery fails. */
  keysOf(issuer: string): JWTVerifyGetKey | Promise<JWTVerifyGetKey> {
    let entry = this.issuers.get(issuer);
    if (!entry) this.issuers.set(issuer, (entry = {}));
    if (entry.keys) return entry.keys;
    if (entry.pending) return entry.pending;
    if (entry.failedAt !== undefined && Date.now() - entry.failedAt < DISCOVERY_RETRY_MS)
      throw new KeysUnavailable(entry.failure);
    const found = entry;
    found.pending = discover(issuer).then(
      (jwksUri) => {
        found.keys = createRemoteJWKSet(new URL(jwksUri), {
          timeoutDuration: FETCH_TIMEOUT_MS,
          cooldownDuration: REFETCH_COOLDOWN_MS,
          cacheMaxAge: KEYS_MAX_AGE_MS,
        });
        found.pending = undefined;
        return found.keys;
      },
      (err: unknown) => {
        found.pending = undefined;
        found.failedAt = Date.now();
        found.failure = (err as Error).message;
        throw new KeysUnavailable(found.failure);
      },
    );
    return found.pending;
  }
}

async function discover(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'manual' });
  } catch (err) {
    throw new Error(`the discovery document ${url} could not be fetched: ${(err as Error).message}`, { cause: err });
  }
  if (response.status !== 200) throw new Error(`the discovery document ${url} answered ${response.status}`);
  let document: unknown;
  try {
    document = await response.json();
  } catch {
    throw new Error(`the discovery document ${url} is not JSON`);
  }
  const jwksUri = (document as { jwks_uri?: unknown } | null)?.jwks_uri;
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri))
    throw new Error(`the discovery document ${url} has no valid jwks_uri`);
  return jwksUri;
}
