import type { CognitoMetadata, StoredAppClient, StoredUserPool } from '../state/cognito-metadata.ts';
import { cognitoErrors } from './errors.ts';
import type { TokenSigner } from './tokens.ts';

/** What the Cognito operations share. */
export interface CognitoContext {
  store: CognitoMetadata;
  signer: TokenSigner;
  region: string;
  account: string;
  /** The issuer of a pool's tokens: `{edge public URL}/{poolId}`. */
  issuer(poolId: string): string;
}

export function requirePool(ctx: CognitoContext, id: string): StoredUserPool {
  const pool = ctx.store.getPool(id);
  if (!pool) throw cognitoErrors.poolNotFound(id);
  return pool;
}

/** The client, which must belong to `poolId` when one is given. */
export function requireClient(ctx: CognitoContext, id: string, poolId?: string): StoredAppClient {
  const client = ctx.store.getClient(id);
  if (!client || (poolId !== undefined && client.poolId !== poolId)) throw cognitoErrors.clientNotFound(id);
  return client;
}
