import {
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { DeclaredAuth } from './declaration.ts';
import { isNotFound, step } from './target.ts';

export interface UserPoolClientState {
  clientId: string;
  clientName?: string;
  explicitAuthFlows: string[];
  hasSecret: boolean;
}

/** What a target holds of the declared sign-in. */
export interface AuthState {
  /** Pools named like the declared one (more than one is an error for deploy); the configured pool when one is named. */
  userPools: Array<{ id: string; name?: string }>;
  /** The app clients named like the declared one, in the pool (when exactly one pool was found). */
  clients: UserPoolClientState[];
}

export async function readAuth(cognito: CognitoIdentityProviderClient, auth: DeclaredAuth): Promise<AuthState> {
  const configuredId = auth.userPool.id;
  const userPools = configuredId
    ? [
        await step(`read user pool ${configuredId} (DDN_COGNITO_USER_POOL_ID)`, () =>
          describePool(cognito, configuredId),
        ),
      ]
    : await step(`list user pools named ${auth.userPool.name}`, () => findUserPools(cognito, auth.userPool.name));
  const pool = userPools.length === 1 ? userPools[0] : undefined;
  const clients = pool
    ? await step(`list the app clients of user pool ${pool.id}`, () => findClients(cognito, pool.id, auth.client.name))
    : [];
  return { userPools, clients };
}

async function describePool(
  cognito: CognitoIdentityProviderClient,
  id: string,
): Promise<{ id: string; name?: string }> {
  try {
    const { UserPool } = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }));
    return { id, name: UserPool?.Name };
  } catch (err) {
    if (isNotFound(err))
      throw new Error(`user pool ${id} does not exist: fix DDN_COGNITO_USER_POOL_ID, or unset it to create a pool`, {
        cause: err,
      });
    throw err;
  }
}

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

async function findClients(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  name: string,
): Promise<UserPoolClientState[]> {
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
  const clients: UserPoolClientState[] = [];
  for (const ClientId of ids) {
    const { UserPoolClient: c } = await cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId }),
    );
    clients.push({
      clientId: ClientId,
      clientName: c?.ClientName,
      explicitAuthFlows: c?.ExplicitAuthFlows ?? [],
      hasSecret: c?.ClientSecret !== undefined,
    });
  }
  return clients;
}
