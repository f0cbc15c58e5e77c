import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { StoredAppClient, StoredUser, StoredUserPool } from '../state/cognito-metadata.ts';
import { requireClient, requirePool, type CognitoContext } from './context.ts';
import { cognitoErrors, INCORRECT_CREDENTIALS } from './errors.ts';
import { epochSeconds, newSession } from './ids.ts';
import { CognitoInput, rules } from './input.ts';
import { hashPassword, passwordPolicyProblem, verifyPassword } from './passwords.ts';
import { clientSettings, poolSettings, STANDARD_ATTRIBUTES } from './pools.ts';
import { attributeList, findUser } from './users.ts';

const AUTH_FLOWS = [
  'USER_SRP_AUTH',
  'REFRESH_TOKEN_AUTH',
  'REFRESH_TOKEN',
  'CUSTOM_AUTH',
  'ADMIN_NO_SRP_AUTH',
  'USER_PASSWORD_AUTH',
  'ADMIN_USER_PASSWORD_AUTH',
  'USER_AUTH',
] as const;
const CHALLENGES = [
  'SMS_MFA',
  'EMAIL_OTP',
  'SOFTWARE_TOKEN_MFA',
  'SELECT_MFA_TYPE',
  'MFA_SETUP',
  'PASSWORD_VERIFIER',
  'CUSTOM_CHALLENGE',
  'SELECT_CHALLENGE',
  'DEVICE_SRP_AUTH',
  'DEVICE_PASSWORD_VERIFIER',
  'ADMIN_NO_SRP_AUTH',
  'NEW_PASSWORD_REQUIRED',
  'SMS_OTP',
  'PASSWORD',
  'WEB_AUTHN',
  'PASSWORD_SRP',
] as const;

interface ChallengeSession {
  poolId: string;
  clientId: string;
  sub: string;
  expiresAt: number;
}

/** The public sign-in operations: InitiateAuth, RespondToAuthChallenge, GetUser. */
export function authOperations(ctx: CognitoContext) {
  // Challenge sessions live in memory: a restart ends a sign-in half way, as a session timeout would.
  const sessions = new Map<string, ChallengeSession>();

  const issueTokens = async (
    pool: StoredUserPool,
    client: StoredAppClient,
    user: StoredUser,
    chain?: { authTime: number; originJti: string },
  ) => {
    const s = clientSettings(client);
    const authTime = chain?.authTime ?? Math.floor(Date.now() / 1000);
    const originJti = chain?.originJti ?? randomUUID();
    const { idToken, accessToken } = await ctx.signer.sign(pool, {
      issuer: ctx.issuer(pool.id),
      clientId: client.id,
      username: user.username,
      sub: user.sub,
      attributes: user.attributes,
      authTime,
      originJti,
      idTokenSeconds: s.IdTokenSeconds,
      accessTokenSeconds: s.AccessTokenSeconds,
    });
    const result: Record<string, unknown> = {
      AccessToken: accessToken,
      ExpiresIn: s.AccessTokenSeconds,
      TokenType: 'Bearer',
    };
    if (!chain) {
      const refreshToken = newRefreshToken();
      ctx.store.insertRefreshToken(sha256(refreshToken), {
        poolId: pool.id,
        clientId: client.id,
        sub: user.sub,
        originJti,
        authTime,
        expiresAt: authTime + s.RefreshTokenSeconds,
      });
      result.RefreshToken = refreshToken;
    }
    result.IdToken = idToken;
    return { ChallengeParameters: {}, AuthenticationResult: result };
  };

  const passwordSignIn = async (pool: StoredUserPool, client: StoredAppClient, params: Record<string, string>) => {
    const username = requireParameter(params, 'USERNAME');
    const password = requireParameter(params, 'PASSWORD');
    checkSecretHash(client, params.SECRET_HASH, [username]);
    const user = findUser(ctx, pool, username);
    if (!user) {
      await verifyPassword(password, undefined);
      if (clientSettings(client).PreventUserExistenceErrors === 'ENABLED')
        throw cognitoErrors.notAuthorized(INCORRECT_CREDENTIALS);
      throw cognitoErrors.userNotFound();
    }
    if (!(await verifyPassword(password, user.passwordHash))) throw cognitoErrors.notAuthorized(INCORRECT_CREDENTIALS);
    if (!user.enabled) throw cognitoErrors.notAuthorized('User is disabled.');
    if (user.status === 'UNCONFIRMED') throw cognitoErrors.userNotConfirmed();
    if (user.status === 'FORCE_CHANGE_PASSWORD') {
      const validDays = poolSettings(pool).PasswordPolicy.TemporaryPasswordValidityDays;
      if (epochSeconds() - user.updatedAt > validDays * 86400) {
        throw cognitoErrors.notAuthorized('Temporary password has expired and must be reset by an administrator.');
      }
      const session = newSession();
      const now = Date.now();
      for (const [id, s] of sessions) if (s.expiresAt < now) sessions.delete(id);
      sessions.set(session, {
        poolId: pool.id,
        clientId: client.id,
        sub: user.sub,
        expiresAt: now + clientSettings(client).AuthSessionValidity * 60_000,
      });
      return {
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: session,
        ChallengeParameters: {
          USER_ID_FOR_SRP: user.username,
          requiredAttributes: '[]',
          userAttributes: JSON.stringify(user.attributes),
        },
      };
    }
    return issueTokens(pool, client, user);
  };

  const refreshSignIn = async (pool: StoredUserPool, client: StoredAppClient, params: Record<string, string>) => {
    const token = requireParameter(params, 'REFRESH_TOKEN');
    const stored = ctx.store.getRefreshToken(sha256(token));
    if (!stored || stored.clientId !== client.id || stored.poolId !== pool.id) {
      if (clientSettings(client).ClientSecret !== undefined && params.SECRET_HASH === undefined)
        checkSecretHash(client, undefined, []);
      throw cognitoErrors.notAuthorized('Invalid Refresh Token');
    }
    const user = ctx.store.userBySub(pool.id, stored.sub);
    // A hash over the username, the sub or the email is accepted (which one AWS requires is unconfirmed).
    checkSecretHash(client, params.SECRET_HASH, [params.USERNAME, user?.username, stored.sub, user?.attributes.email]);
    if (stored.expiresAt < Date.now() / 1000) throw cognitoErrors.notAuthorized('Refresh Token has expired');
    if (!user) throw cognitoErrors.userNotFound();
    if (!user.enabled) throw cognitoErrors.notAuthorized('User is disabled.');
    return issueTokens(pool, client, user, { authTime: stored.authTime, originJti: stored.originJti });
  };

  return {
    async InitiateAuth(raw: unknown) {
      const input = new CognitoInput(raw);
      const flow = input.enumeration('AuthFlow', AUTH_FLOWS);
      const clientId = input.required('ClientId', rules.clientId);
      if (flow === undefined)
        throw cognitoErrors.validation(
          "Value null at 'authFlow' failed to satisfy constraint: Member must not be null",
        );
      const client = requireClient(ctx, clientId);
      const pool = requirePool(ctx, client.poolId);
      const params = input.stringMap('AuthParameters');
      const flows = clientSettings(client).ExplicitAuthFlows;
      const legacy = !flows.some((f) => f.startsWith('ALLOW_'));
      switch (flow) {
        case 'USER_PASSWORD_AUTH':
          if (!flows.includes('ALLOW_USER_PASSWORD_AUTH') && !flows.includes('USER_PASSWORD_AUTH')) {
            throw cognitoErrors.invalidParameter('USER_PASSWORD_AUTH flow not enabled for this client');
          }
          return passwordSignIn(pool, client, params);
        case 'REFRESH_TOKEN_AUTH':
        case 'REFRESH_TOKEN':
          if (!legacy && !flows.includes('ALLOW_REFRESH_TOKEN_AUTH'))
            throw cognitoErrors.invalidParameter('REFRESH_TOKEN_AUTH flow not enabled for this client');
          return refreshSignIn(pool, client, params);
        case 'ADMIN_NO_SRP_AUTH':
        case 'ADMIN_USER_PASSWORD_AUTH':
          // unconfirmed: AWS's message for an admin flow sent to InitiateAuth.
          throw cognitoErrors.invalidParameter('Initiate Auth method not supported.');
        default:
          throw cognitoErrors.invalidParameter(
            `${flow} is not supported by the local edge; use USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH.`,
          );
      }
    },

    async RespondToAuthChallenge(raw: unknown) {
      const input = new CognitoInput(raw);
      const clientId = input.required('ClientId', rules.clientId);
      const challenge = input.enumeration('ChallengeName', CHALLENGES);
      if (challenge === undefined)
        throw cognitoErrors.validation(
          "Value null at 'challengeName' failed to satisfy constraint: Member must not be null",
        );
      const client = requireClient(ctx, clientId);
      const pool = requirePool(ctx, client.poolId);
      if (challenge !== 'NEW_PASSWORD_REQUIRED')
        throw cognitoErrors.invalidParameter(`${challenge} is not supported by the local edge.`);
      const responses = input.stringMap('ChallengeResponses');
      const username = requireParameter(responses, 'USERNAME');
      const newPassword = requireParameter(responses, 'NEW_PASSWORD');
      const sessionId = input.optional('Session', { min: 20, max: 2048 });
      const session = sessionId === undefined ? undefined : sessions.get(sessionId);
      const user = session && ctx.store.userBySub(pool.id, session.sub);
      // unconfirmed: AWS's messages for a bad session.
      if (!session || session.clientId !== client.id || !user)
        throw cognitoErrors.notAuthorized('Invalid session for the user.');
      if (session.expiresAt < Date.now())
        throw cognitoErrors.notAuthorized('Invalid session for the user, session is expired.');
      checkSecretHash(client, responses.SECRET_HASH, [username]);
      if (findUser(ctx, pool, username)?.sub !== user.sub)
        throw cognitoErrors.notAuthorized('Invalid session for the user.');
      const problem = passwordPolicyProblem(newPassword, poolSettings(pool).PasswordPolicy);
      if (problem) throw cognitoErrors.invalidPassword(problem);
      const attributes: Record<string, string> = {};
      for (const [key, value] of Object.entries(responses)) {
        if (!key.startsWith('userAttributes.')) continue;
        const name = key.slice('userAttributes.'.length);
        if (
          name === 'sub' ||
          (!STANDARD_ATTRIBUTES.includes(name) && !poolSettings(pool).CustomAttributes.includes(name))
        ) {
          throw cognitoErrors.invalidParameter(
            `Attributes did not conform to the schema: ${name}: Attribute does not exist in the schema.\n`,
          );
        }
        attributes[name] = value;
      }
      sessions.delete(sessionId!);
      ctx.store.setPassword(pool.id, user.sub, await hashPassword(newPassword), 'CONFIRMED', epochSeconds());
      if (Object.keys(attributes).length > 0)
        ctx.store.setAttributes(pool.id, user.sub, { ...user.attributes, ...attributes }, epochSeconds());
      return issueTokens(pool, client, ctx.store.userBySub(pool.id, user.sub)!);
    },

    async GetUser(raw: unknown) {
      const input = new CognitoInput(raw);
      const token = input.required('AccessToken', { pattern: /^[A-Za-z0-9-_=.]+$/, patternText: '[A-Za-z0-9-_=.]+' });
      const invalid = () => cognitoErrors.notAuthorized('Invalid Access Token');
      let issuer: string | undefined;
      try {
        issuer = decodeJwt(token).iss;
      } catch {
        throw invalid();
      }
      const poolId = issuer?.slice(issuer.lastIndexOf('/') + 1) ?? '';
      const pool = ctx.store.getPool(poolId);
      if (!pool || issuer !== ctx.issuer(poolId)) throw invalid();
      const claims = await ctx.signer.verifyAccessToken(pool, issuer, token);
      if (claims === 'expired') throw cognitoErrors.notAuthorized('Access Token has expired');
      if (claims === 'invalid' || typeof claims.sub !== 'string') throw invalid();
      const user = ctx.store.userBySub(pool.id, claims.sub);
      if (!user) throw cognitoErrors.userNotFound();
      return { Username: user.username, UserAttributes: attributeList(user) };
    },
  };
}

function requireParameter(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw cognitoErrors.invalidParameter(`Missing required parameter ${name}`);
  return value;
}

/** `SECRET_HASH` = Base64(HMAC-SHA256(client secret, username + client id)), over any one of `usernames`. */
function checkSecretHash(
  client: StoredAppClient,
  given: string | undefined,
  usernames: Array<string | undefined>,
): void {
  const secret = clientSettings(client).ClientSecret;
  if (secret === undefined) return;
  if (given === undefined)
    throw cognitoErrors.notAuthorized(`Client ${client.id} is configured with secret but SECRET_HASH was not received`);
  const givenBytes = Buffer.from(given, 'base64');
  for (const name of usernames) {
    if (name === undefined) continue;
    const expected = createHmac('sha256', secret)
      .update(name + client.id)
      .digest();
    if (expected.length === givenBytes.length && timingSafeEqual(expected, givenBytes)) return;
  }
  throw cognitoErrors.notAuthorized(`Unable to verify secret hash for client ${client.id}`);
}

/** An opaque refresh token shaped like Cognito's (five base64url segments behind a JWE-style header). */
function newRefreshToken(): string {
  const header = Buffer.from('{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}').toString('base64url');
  return [header, randomBytes(256), randomBytes(12), randomBytes(96), randomBytes(16)]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
