import { createAuthorizerSchema, parseBody, updateAuthorizerSchema } from '../requests.ts';
import type { ApigwHandlers } from './types.ts';

export const authorizerOperations: ApigwHandlers = {
  CreateAuthorizer: (ctx, r, { apiId }) => ({
    status: 201,
    body: ctx.plane.authorizers.create(apiId, parseBody(createAuthorizerSchema, r.body)),
  }),
  // At most 10 authorizers per API: one page always holds them all.
  GetAuthorizers: (ctx, _r, { apiId }) => ({ status: 200, body: { items: ctx.plane.authorizers.list(apiId) } }),
  GetAuthorizer: (ctx, _r, { apiId, authorizerId }) => ({
    status: 200,
    body: ctx.plane.authorizers.get(apiId, authorizerId),
  }),
  UpdateAuthorizer: (ctx, r, { apiId, authorizerId }) => ({
    status: 200,
    body: ctx.plane.authorizers.update(apiId, authorizerId, parseBody(updateAuthorizerSchema, r.body)),
  }),
  DeleteAuthorizer: (ctx, _r, { apiId, authorizerId }) => (
    ctx.plane.authorizers.delete(apiId, authorizerId),
    { status: 204 }
  ),
  ResetAuthorizersCache: (ctx, _r, { apiId, stageName }) => (
    ctx.plane.authorizers.resetCache(apiId, stageName),
    { status: 204 }
  ),
};
