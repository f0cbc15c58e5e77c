import { createAuthorizerSchema, parseBody, updateAuthorizerSchema } from '../requests.ts';
import { pageRequest, WHOLE_LIST } from './paging.ts';
import type { ApigwHandlers } from './types.ts';

export const authorizerOperations: ApigwHandlers = {
  CreateAuthorizer: (ctx, r, { apiId }) => ({
    status: 201,
    body: ctx.plane.authorizers.create(apiId, parseBody(createAuthorizerSchema, r.body)),
  }),
  GetAuthorizers: (ctx, r, { apiId }) => ({
    status: 200,
    body: ctx.plane.authorizers.page(apiId, pageRequest(r, WHOLE_LIST)),
  }),
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
