import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  UserNotFoundException,
  type CognitoIdentityProviderClient,
  type ExplicitAuthFlowsType,
} from '@aws-sdk/client-cognito-identity-provider';
import { cognitoClient, type Endpoint } from './aws-clients.ts';

/** A pool and an app client that signs in with a username and password (no secret). */
export interface SignInSetup {
  userPoolId: string;
  clientId: string;
  /** The pool's token issuer: `{edge URL}/{poolId}` locally, Cognito's URL on AWS. */
  issuer: string;
}

/** The sign-in client's flows: username and password, and refresh. */
export const SIGN_IN_AUTH_FLOWS: ExplicitAuthFlowsType[] = ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'];

/** The issuer of a pool's tokens at `endpoint`. */
export function poolIssuer(endpoint: Endpoint, userPoolId: string): string {
  return endpoint.url
    ? `${endpoint.url.replace(/\/+$/, '')}/${userPoolId}`
    : `https://cognito-idp.${endpoint.region}.amazonaws.com/${userPoolId}`;
}

/** Every user pool named `name` (names need not be unique), in listing order. */
export async function findUserPools(
  cognito: CognitoIdentityProviderClient,
  name: string,
): Promise<Array<{ id: string; name: string }>> {
  const found: Array<{ id: string; name: string }> = [];
  let nextToken: string | undefined;
  do {
    const page = await cognito.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken: nextToken }));
    for (const pool of page.UserPools ?? []) if (pool.Name === name && pool.Id) found.push({ id: pool.Id, name });
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

/** The ids of the pool's app clients named `name`, in listing order. */
export async function findUserPoolClientIds(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  name: string,
): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cognito.send(
      new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken: nextToken }),
    );
    for (const client of page.UserPoolClients ?? [])
      if (client.ClientName === name && client.ClientId) ids.push(client.ClientId);
    nextToken = page.NextToken;
  } while (nextToken);
  return ids;
}

/** Creates the sign-in user pool `name`: users are made by an administrator (`ddn user add`), never signed up. */
export async function createSignInPool(cognito: CognitoIdentityProviderClient, name: string): Promise<string> {
  const created = await cognito.send(
    new CreateUserPoolCommand({ PoolName: name, AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } }),
  );
  const id = created.UserPool?.Id;
  if (!id) throw new Error(`CreateUserPool ${name} answered without a pool id`);
  return id;
}

/** Creates the app client `name` of the pool with `flows`, without a secret (a CLI or a browser cannot keep one). */
export async function createSignInClient(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  name: string,
  flows: ExplicitAuthFlowsType[] = SIGN_IN_AUTH_FLOWS,
): Promise<string> {
  const created = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: name,
      GenerateSecret: false,
      ExplicitAuthFlows: flows,
    }),
  );
  const id = created.UserPoolClient?.ClientId;
  if (!id) throw new Error(`CreateUserPoolClient ${name} answered without a client id`);
  return id;
}

/**
 * Finds the pool `poolName` and its client `clientName` (the first of each name), creating what is missing as
 * deploy does: the client allows USER_PASSWORD_AUTH and refresh, without a secret. Idempotent.
 */
export async function ensureSignInSetup(
  endpoint: Endpoint,
  poolName: string,
  clientName: string,
): Promise<SignInSetup> {
  const cognito = cognitoClient(endpoint);
  try {
    const userPoolId = (await findUserPools(cognito, poolName))[0]?.id ?? (await createSignInPool(cognito, poolName));
    const clientId =
      (await findUserPoolClientIds(cognito, userPoolId, clientName))[0] ??
      (await createSignInClient(cognito, userPoolId, clientName));
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
