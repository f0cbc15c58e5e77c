import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Endpoint } from './aws-clients.ts';

/** A pool and an app client that signs in with a username and password (no secret). */
export interface SignInSetup {
  userPoolId: string;
  clientId: string;
  /** The pool's token issuer: `{edge URL}/{poolId}` locally, Cognito's URL on AWS. */
  issuer: string;
}

export function cognitoClient(endpoint: Endpoint): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    region: endpoint.region,
    endpoint: endpoint.url,
    credentials: endpoint.credentials,
    retryMode: 'standard',
    maxAttempts: 6,
  });
}

/** The issuer of a pool's tokens at `endpoint`. */
export function poolIssuer(endpoint: Endpoint, userPoolId: string): string {
  return endpoint.url
    ? `${endpoint.url.replace(/\/+$/, '')}/${userPoolId}`
    : `https://cognito-idp.${endpoint.region}.amazonaws.com/${userPoolId}`;
}

/**
 * Finds the pool `poolName` and its client `clientName`, creating what is missing: the client allows
 * USER_PASSWORD_AUTH and refresh, without a secret (a CLI or a browser cannot keep one). Idempotent.
 */
export async function ensureSignInSetup(
  endpoint: Endpoint,
  poolName: string,
  clientName: string,
): Promise<SignInSetup> {
  const cognito = cognitoClient(endpoint);
  try {
    let userPoolId: string | undefined;
    let token: string | undefined;
    do {
      const page = await cognito.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken: token }));
      userPoolId = page.UserPools?.find((p) => p.Name === poolName)?.Id;
      token = page.NextToken;
    } while (!userPoolId && token);
    userPoolId ??= (await cognito.send(new CreateUserPoolCommand({ PoolName: poolName }))).UserPool!.Id!;

    let clientId: string | undefined;
    let clientsToken: string | undefined;
    do {
      const page = await cognito.send(
        new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken: clientsToken }),
      );
      clientId = page.UserPoolClients?.find((c) => c.ClientName === clientName)?.ClientId;
      clientsToken = page.NextToken;
    } while (!clientId && clientsToken);
    clientId ??= (
      await cognito.send(
        new CreateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientName: clientName,
          GenerateSecret: false,
          ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        }),
      )
    ).UserPoolClient!.ClientId!;
    return { userPoolId, clientId, issuer: poolIssuer(endpoint, userPoolId) };
  } finally {
    cognito.destroy();
  }
}

/**
 * Creates `username` in the pool with `password` as a permanent password (status CONFIRMED), or sets the password
 * of an existing user. The password must satisfy the pool's policy (InvalidPasswordException otherwise).
 * Returns the user's `sub`.
 */
export async function addUser(
  endpoint: Endpoint,
  userPoolId: string,
  username: string,
  password: string,
): Promise<{ sub: string; created: boolean }> {
  const cognito = cognitoClient(endpoint);
  try {
    let created = false;
    try {
      await cognito.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
    } catch (err) {
      if (!(err instanceof UserNotFoundException)) throw err;
      await cognito.send(
        new AdminCreateUserCommand({
          UserPoolId: userPoolId,
          Username: username,
          MessageAction: 'SUPPRESS',
          TemporaryPassword: password,
        }),
      );
      created = true;
    }
    await cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: userPoolId,
        Username: username,
        Password: password,
        Permanent: true,
      }),
    );
    const user = await cognito.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
    return { sub: user.UserAttributes!.find((a) => a.Name === 'sub')!.Value!, created };
  } finally {
    cognito.destroy();
  }
}
