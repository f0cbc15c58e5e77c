import type { DeclaredAuth } from './declaration.ts';
import { PlanError, describeFields, diffFields, type FieldChange } from './plan.ts';
import type { AuthState } from './target-auth.ts';
import type { AuthorizerState } from './target.ts';

/** The steps of sign-in: a user pool, its app client, and the API's JWT authorizer that trusts them. */
export type AuthChange =
  | { kind: 'createUserPool'; name: string }
  | { kind: 'createUserPoolClient'; name: string; userPoolId?: string }
  | { kind: 'updateUserPoolClient'; clientId: string; fields: FieldChange[] }
  | { kind: 'createAuthorizer'; name: string; issuer: string }
  | { kind: 'updateAuthorizer'; authorizerId: string; name: string; fields: FieldChange[] };

/** Which of sign-in's resources exist already (absent: the plan creates it). */
export interface AuthIds {
  userPoolId?: string;
  clientId?: string;
  authorizerId?: string;
}

const NEW_POOL_ID = '<new user pool id>';
const NEW_CLIENT_ID = '<new client id>';

/** Plans the pool and the client; fills `ids` with those that exist. */
export function planUserPool(auth: DeclaredAuth, state: AuthState, ids: AuthIds): AuthChange[] {
  if (state.userPools.length > 1) {
    throw new PlanError(
      `${state.userPools.length} user pools are named ${auth.userPool.name} (${state.userPools.map((p) => p.id).join(', ')}): ` +
        `deploy cannot tell which one is the platform's. Set DDN_COGNITO_USER_POOL_ID to the one to use, or delete the others ` +
        `(aws cognito-idp delete-user-pool --user-pool-id ID).`,
    );
  }
  const changes: AuthChange[] = [];
  ids.userPoolId = state.userPools[0]?.id;
  if (!ids.userPoolId) changes.push({ kind: 'createUserPool', name: auth.userPool.name });
  const client = state.clients.find((c) => !c.hasSecret);
  if (!client) {
    changes.push({ kind: 'createUserPoolClient', name: auth.client.name, userPoolId: ids.userPoolId });
    return changes;
  }
  ids.clientId = client.clientId;
  const fields = diffFields([
    ['explicitAuthFlows', [...client.explicitAuthFlows].sort(), [...auth.client.explicitAuthFlows].sort()],
  ]);
  if (fields.length > 0) changes.push({ kind: 'updateUserPoolClient', clientId: client.clientId, fields });
  return changes;
}

/** The authorizer's settings for the pool and client `ids` names (placeholders for those still to be created). */
export function declaredAuthorizer(
  auth: DeclaredAuth,
  ids: AuthIds,
): { issuer: string; audience: string[]; identitySource: string[] } {
  return {
    issuer: auth.authorizer.issuer(ids.userPoolId ?? NEW_POOL_ID),
    audience: [ids.clientId ?? NEW_CLIENT_ID],
    identitySource: [auth.authorizer.identitySource],
  };
}

/** Plans the JWT authorizer; fills `ids.authorizerId` when one of the declared name exists. */
export function planAuthorizer(auth: DeclaredAuth, authorizers: AuthorizerState[], ids: AuthIds): AuthChange[] {
  const declared = declaredAuthorizer(auth, ids);
  const existing = authorizers.find((a) => a.name === auth.authorizer.name && a.authorizerType === 'JWT');
  if (!existing) return [{ kind: 'createAuthorizer', name: auth.authorizer.name, issuer: declared.issuer }];
  ids.authorizerId = existing.authorizerId;
  const fields = diffFields([
    ['issuer', existing.issuer, declared.issuer],
    ['audience', existing.audience, declared.audience],
    ['identitySource', existing.identitySource, declared.identitySource],
  ]);
  return fields.length > 0
    ? [
        {
          kind: 'updateAuthorizer',
          authorizerId: existing.authorizerId,
          name: existing.name ?? auth.authorizer.name,
          fields,
        },
      ]
    : [];
}

export function describeAuthChange(change: AuthChange): string {
  switch (change.kind) {
    case 'createUserPool':
      return `+ create user pool ${change.name}`;
    case 'createUserPoolClient':
      return `+ create app client ${change.name} (no secret; USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH) in user pool ${change.userPoolId ?? '(new)'}`;
    case 'updateUserPoolClient':
      return `~ update app client ${change.clientId}: ${describeFields(change.fields)}`;
    case 'createAuthorizer':
      return `+ create JWT authorizer ${change.name} (issuer ${change.issuer})`;
    case 'updateAuthorizer':
      return `~ update JWT authorizer ${change.name} (${change.authorizerId}): ${describeFields(change.fields)}`;
  }
}
