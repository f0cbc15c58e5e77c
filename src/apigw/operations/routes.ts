import { createRouteSchema, parseBody, updateRouteSchema } from '../requests.ts';
import { pageRequest, WHOLE_LIST } from './paging.ts';
import type { ApigwHandlers } from './types.ts';

export const routeOperations: ApigwHandlers = {
  CreateRoute: (ctx, r, { apiId }) => ({
    status: 201,
    body: ctx.plane.routes.create(apiId, parseBody(createRouteSchema, r.body)),
  }),
  GetRoutes: (ctx, r, { apiId }) => ({ status: 200, body: ctx.plane.routes.page(apiId, pageRequest(r, WHOLE_LIST)) }),
  GetRoute: (ctx, _r, { apiId, routeId }) => ({ status: 200, body: ctx.plane.routes.get(apiId, routeId) }),
  UpdateRoute: (ctx, r, { apiId, routeId }) => ({
    status: 200,
    body: ctx.plane.routes.update(apiId, routeId, parseBody(updateRouteSchema, r.body)),
  }),
  DeleteRoute: (ctx, _r, { apiId, routeId }) => {
    ctx.plane.routes.delete(apiId, routeId);
    return { status: 204 };
  },
};
