import { createIntegrationSchema, parseBody, updateIntegrationSchema } from '../requests.ts';
import { pageRequest, WHOLE_LIST } from './paging.ts';
import type { ApigwHandlers } from './types.ts';

export const integrationOperations: ApigwHandlers = {
  CreateIntegration: (ctx, r, { apiId }) => ({
    status: 201,
    body: ctx.plane.integrations.create(apiId, parseBody(createIntegrationSchema, r.body)),
  }),
  GetIntegrations: (ctx, r, { apiId }) => ({
    status: 200,
    body: ctx.plane.integrations.page(apiId, pageRequest(r, WHOLE_LIST)),
  }),
  GetIntegration: (ctx, _r, { apiId, integrationId }) => ({
    status: 200,
    body: ctx.plane.integrations.get(apiId, integrationId),
  }),
  UpdateIntegration: (ctx, r, { apiId, integrationId }) => ({
    status: 200,
    body: ctx.plane.integrations.update(apiId, integrationId, parseBody(updateIntegrationSchema, r.body)),
  }),
  DeleteIntegration: (ctx, _r, { apiId, integrationId }) => {
    ctx.plane.integrations.delete(apiId, integrationId);
    return { status: 204 };
  },
};
