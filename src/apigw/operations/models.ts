import { createModelSchema, parseBody, updateModelSchema } from '../requests.ts';
import { pageRequest, WHOLE_LIST } from './paging.ts';
import type { ApigwHandlers } from './types.ts';

export const modelOperations: ApigwHandlers = {
  CreateModel: (ctx, r, { apiId }) => ({
    status: 201,
    body: ctx.plane.models.create(apiId, parseBody(createModelSchema, r.body)),
  }),
  GetModels: (ctx, r, { apiId }) => ({ status: 200, body: ctx.plane.models.page(apiId, pageRequest(r, WHOLE_LIST)) }),
  GetModel: (ctx, _r, { apiId, modelId }) => ({ status: 200, body: ctx.plane.models.get(apiId, modelId) }),
  UpdateModel: (ctx, r, { apiId, modelId }) => ({
    status: 200,
    body: ctx.plane.models.update(apiId, modelId, parseBody(updateModelSchema, r.body)),
  }),
  DeleteModel: (ctx, _r, { apiId, modelId }) => {
    ctx.plane.models.delete(apiId, modelId);
    return { status: 204 };
  },
  GetModelTemplate: (ctx, _r, { apiId, modelId }) => ({
    status: 200,
    body: { value: ctx.plane.models.template(apiId, modelId) },
  }),
};
