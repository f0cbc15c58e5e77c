import { createHash, randomUUID } from 'node:crypto';
import { errors, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { StoredUserPool } from '../state/cognito-metadata.ts';

type PrivateKey = Awaited<ReturnType<typeof importJWK>>;

/** The pool's two signing keys as private JWKs: ID and access tokens are signed with different keys, as Cognito's. */
export async function generatePoolKeys(): Promise<StoredUserPool['keys']> {
  const one = async (): Promise<Record<string, unknown>> => {
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const jwk = await exportJWK(privateKey);
    // Cognito's kids are 44 characters of standard base64.
    const kid = createHash('sha256').update(jwk.n!).digest('base64');
    return { ...jwk, kid, alg: 'RS256', use: 'sig' };
  };
  return { id: await one(), access: await one() };
}

/** The public half of the pool's keys: `/{poolId}/.well-known/jwks.json`. */
export function poolJwks(pool: StoredUserPool): { keys: JWK[] } {
  const publicKey = (jwk: Record<string, unknown>): JWK => ({
    alg: 'RS256',
    e: jwk.e as string,
    kid: jwk.kid as string,
    kty: 'RSA',
    n: jwk.n as string,
    use: 'sig',
  });
  return { keys: [publicKey(pool.keys.id), publicKey(pool.keys.access)] };
}

export interface SignIn {
  /** The pool's issuer URL. */
  issuer: string;
  clientId: string;
  username: string;
  sub: string;
  attributes: Record<string, string>;
  /** Epoch seconds of the sign-in that started this chain of tokens. */
  authTime: number;
  originJti: string;
  idTokenSeconds: number;
  accessTokenSeconds: number;
}

/** Signs ID and access tokens (RS256) with the pool's keys; imported keys are cached per pool. */
export class TokenSigner {
  private readonly imported = new Map<string, Promise<PrivateKey>>();

  /** The pool's private key (`private`) or its public half, imported once. */
  private key(pool: StoredUserPool, use: 'id' | 'access', half: 'private' | 'public' = 'private'): Promise<PrivateKey> {
    const jwk = pool.keys[use];
    const cacheKey = `${pool.id}/${jwk.kid as string}/${half}`;
    let key = this.imported.get(cacheKey);
    if (!key) {
      key = importJWK(
        half === 'private' ? (jwk as JWK) : { kty: 'RSA', n: jwk.n as string, e: jwk.e as string },
        'RS256',
      );
      this.imported.set(cacheKey, key);
    }
    return key;
  }

  forget(poolId: string): void {
    for (const k of this.imported.keys()) if (k.startsWith(`${poolId}/`)) this.imported.delete(k);
  }

  async sign(pool: StoredUserPool, signIn: SignIn): Promise<{ idToken: string; accessToken: string }> {
    const now = Math.floor(Date.now() / 1000);
    const eventId = randomUUID();
    const common = {
      sub: signIn.sub,
      iss: signIn.issuer,
      origin_jti: signIn.originJti,
      event_id: eventId,
      auth_time: signIn.authTime,
    };
    const idClaims: JWTPayload = {
      ...attributeClaims(signIn.attributes),
      ...common,
      'cognito:username': signIn.username,
      aud: signIn.clientId,
      token_use: 'id',
      exp: now + signIn.idTokenSeconds,
      iat: now,
      jti: randomUUID(),
    };
    const accessClaims: JWTPayload = {
      ...common,
      client_id: signIn.clientId,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      exp: now + signIn.accessTokenSeconds,
      iat: now,
      jti: randomUUID(),
      username: signIn.username,
    };
    const sign = async (claims: JWTPayload, use: 'id' | 'access'): Promise<string> =>
      new SignJWT(claims)
        .setProtectedHeader({ kid: pool.keys[use].kid as string, alg: 'RS256' })
        .sign(await this.key(pool, use));
    return { idToken: await sign(idClaims, 'id'), accessToken: await sign(accessClaims, 'access') };
  }

  /**
   * The claims of an access token of this pool, or why it is refused in GetUser's words: `expired`, or `invalid`
   * (bad signature, another pool's, an ID token, malformed).
   */
  async verifyAccessToken(
    pool: StoredUserPool,
    issuer: string,
    token: string,
  ): Promise<JWTPayload | 'expired' | 'invalid'> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, await this.key(pool, 'access', 'public'), {
        issuer,
        algorithms: ['RS256'],
      });
      if (protectedHeader.kid !== pool.keys.access.kid || payload.token_use !== 'access') return 'invalid';
      return payload;
    } catch (err) {
      return err instanceof errors.JWTExpired ? 'expired' : 'invalid';
    }
  }
}

/** The ID token's user claims: every attribute but `sub`; `*_verified` as booleans, `updated_at` as a number. */
function attributeClaims(attributes: Record<string, string>): JWTPayload {
  const claims: JWTPayload = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'sub') continue;
    if (name === 'email_verified' || name === 'phone_number_verified') claims[name] = value === 'true';
    else if (name === 'updated_at' && /^\d+$/.test(value)) claims[name] = Number(value);
    else claims[name] = value;
  }
  return claims;
}
