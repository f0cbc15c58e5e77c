import type { EdgeRequest } from '../../edge/types.ts';
import { badRequest } from '../errors.ts';
import type { Api } from '../model.ts';
import { exportOpenApi, importOpenApi } from '../openapi.ts';
import { createApiSchema, importApiSchema, parseBody, updateApiSchema } from '../requests.ts';
import { DEFAULT_API_PAGE, pageRequest } from './paging.ts';
import type { ApigwHandlers, ManagementContext } from './types.ts';

export const apiOperations: ApigwHandlers = {
  CreateApi: (ctx, r) => ({
    status: 201,
    body: withEndpoint(ctx, ctx.plane.apis.create(parseBody(createApiSchema, r.body))),
  }),
  GetApis: (ctx, r) => {
    const page = ctx.plane.apis.list(pageRequest(r, DEFAULT_API_PAGE));
    return { status: 200, body: { ...page, items: page.items.map((a) => withEndpoint(ctx, a)) } };
  },
  ImportApi: (ctx, r) => {
    const api = importOpenApi(ctx.plane, parseBody(importApiSchema, r.body).body, importOptions(r));
    return { status: 201, body: withEndpoint(ctx, api) };
  },
  GetApi: (ctx, _r, { apiId }) => ({ status: 200, body: withEndpoint(ctx, ctx.plane.apis.get(apiId)) }),
  UpdateApi: (ctx, r, { apiId }) => ({
    status: 200,
    body: withEndpoint(ctx, ctx.plane.apis.update(apiId, parseBody(updateApiSchema, r.body))),
  }),
  ReimportApi: (ctx, r, { apiId }) => {
    const api = importOpenApi(ctx.plane, parseBody(importApiSchema, r.body).body, importOptions(r), apiId);
    return { status: 201, body: withEndpoint(ctx, api) };
  },
  DeleteApi: (ctx, _r, { apiId }) => {
    ctx.plane.apis.delete(apiId);
    return { status: 204 };
  },
  DeleteCorsConfiguration: (ctx, _r, { apiId }) => {
    ctx.plane.apis.deleteCorsConfiguration(apiId);
    return { status: 204 };
  },
  ExportApi: (ctx, r, { apiId, specification }) => {
    if (specification !== 'OAS30')
      throw badRequest(`Unsupported specification ${specification}: only OAS30 is supported.`);
    const outputType = r.query.get('outputType');
    if (outputType !== 'JSON' && outputType !== 'YAML') throw badRequest('outputType must be JSON or YAML.');
    const data = exportOpenApi(ctx.plane, apiId, {
      outputType,
      includeExtensions: r.query.get('includeExtensions') !== 'false',
      stageName: r.query.get('stageName') ?? undefined,
      endpoint: ctx.endpointOf(apiId),
    });
    return { status: 200, raw: { contentType: outputType === 'JSON' ? 'application/json' : 'application/yaml', data } };
  },
};

function withEndpoint(ctx: ManagementContext, api: Api): Api & { apiEndpoint: string } {
  return { apiEndpoint: ctx.endpointOf(api.apiId), ...api };
}

function importOptions(r: EdgeRequest) {
  const basepath = r.query.get('basepath') ?? 'ignore';
  if (!['ignore', 'prepend', 'split'].includes(basepath))
    throw badRequest(`Invalid basepath "${basepath}": use ignore, prepend or split.`);
  return {
    basepath: basepath as 'ignore' | 'prepend' | 'split',
    failOnWarnings: r.query.get('failOnWarnings') === 'true',
  };
}
