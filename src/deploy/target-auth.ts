import {
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { findUserPoolClientIds, findUserPools } from '../client/user-pool.ts';
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

async function findClients(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  name: string,
): Promise<UserPoolClientState[]> {
  const ids = await findUserPoolClientIds(cognito, userPoolId, name);
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
