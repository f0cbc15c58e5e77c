import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import { decodeJwt } from 'jose';
import type { StoredTokens } from './token-store.ts';

/** Where a user pool signs users in: derived from its issuer, `{endpoint}/{userPoolId}`, locally and on AWS alike. */
export interface UserPoolTarget {
  issuer: string;
  clientId: string;
  region: string;
}

export function userPoolEndpoint(issuer: string): { endpoint: string; userPoolId: string } {
  const slash = issuer.lastIndexOf('/');
  if (slash < 0 || !/^https?:\/\//.test(issuer))
    throw new Error(`${issuer} is not a user pool issuer URL ({endpoint}/{userPoolId})`);
  return { endpoint: issuer.slice(0, slash), userPoolId: issuer.slice(slash + 1) };
}

/** A client for the pool's public (unsigned) operations: InitiateAuth, RespondToAuthChallenge. */
export function signInClient(target: UserPoolTarget): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    region: target.region,
    endpoint: userPoolEndpoint(target.issuer).endpoint,
    maxAttempts: 3,
  });
}

/** Asked for a new password when the pool answers NEW_PASSWORD_REQUIRED (a temporary password was used). */
export type NewPasswordPrompt = () => Promise<string>;

/** USER_PASSWORD_AUTH, answering NEW_PASSWORD_REQUIRED when the password was temporary. */
export async function signIn(
  target: UserPoolTarget,
  username: string,
  password: string,
  newPassword: NewPasswordPrompt,
): Promise<StoredTokens> {
  const client = signInClient(target);
  const first = await client.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: target.clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
  let result = first.AuthenticationResult;
  if (!result && first.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
    const answered = await client.send(
      new RespondToAuthChallengeCommand({
        ClientId: target.clientId,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: first.Session,
        ChallengeResponses: {
          USERNAME: first.ChallengeParameters?.USER_ID_FOR_SRP ?? username,
          NEW_PASSWORD: await newPassword(),
        },
      }),
    );
    result = answered.AuthenticationResult;
  } else if (!result) {
    throw new Error(
      `the user pool asked for ${first.ChallengeName ?? 'an unknown challenge'}, which ddn login does not answer`,
    );
  }
  return toStored(target, username, result, undefined);
}

/** REFRESH_TOKEN_AUTH: new ID and access tokens; the refresh token is kept unless the pool rotates it. */
export async function refreshTokens(target: UserPoolTarget, tokens: StoredTokens): Promise<StoredTokens> {
  if (!tokens.refreshToken) throw new Error('no refresh token kept');
  const answer = await signInClient(target).send(
    new InitiateAuthCommand({
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: target.clientId,
      AuthParameters: { REFRESH_TOKEN: tokens.refreshToken },
    }),
  );
  return toStored(target, tokens.username, answer.AuthenticationResult, tokens.refreshToken);
}

function toStored(
  target: UserPoolTarget,
  username: string,
  result: AuthenticationResultType | undefined,
  previousRefresh: string | undefined,
): StoredTokens {
  if (!result?.IdToken || !result.AccessToken) throw new Error('the user pool answered without tokens');
  return {
    issuer: target.issuer,
    clientId: target.clientId,
    username,
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    refreshToken: result.RefreshToken ?? previousRefresh,
    expiresAt: expiryOf(result.IdToken) ?? Date.now() + (result.ExpiresIn ?? 3600) * 1000,
  };
}

/** The `exp` of a JWT in epoch ms, when it has one. */
function expiryOf(jwt: string): number | undefined {
  try {
    const { exp } = decodeJwt(jwt);
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
