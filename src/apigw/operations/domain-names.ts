import {
  createApiMappingSchema,
  createDomainNameSchema,
  parseBody,
  updateApiMappingSchema,
  updateDomainNameSchema,
} from '../requests.ts';
import { DEFAULT_API_PAGE, pageRequest, WHOLE_LIST } from './paging.ts';
import type { ApigwHandlers } from './types.ts';

export const domainNameOperations: ApigwHandlers = {
  CreateDomainName: (ctx, r) => ({
    status: 201,
    body: ctx.plane.domainNames.create(parseBody(createDomainNameSchema, r.body)),
  }),
  GetDomainNames: (ctx, r) => ({ status: 200, body: ctx.plane.domainNames.page(pageRequest(r, DEFAULT_API_PAGE)) }),
  GetDomainName: (ctx, _r, { domainName }) => ({ status: 200, body: ctx.plane.domainNames.get(domainName) }),
  UpdateDomainName: (ctx, r, { domainName }) => ({
    status: 200,
    body: ctx.plane.domainNames.update(domainName, parseBody(updateDomainNameSchema, r.body)),
  }),
  DeleteDomainName: (ctx, _r, { domainName }) => {
    ctx.plane.domainNames.delete(domainName);
    return { status: 204 };
  },
};

export const apiMappingOperations: ApigwHandlers = {
  CreateApiMapping: (ctx, r, { domainName }) => ({
    status: 201,
    body: ctx.plane.domainNames.createMapping(domainName, parseBody(createApiMappingSchema, r.body)),
  }),
  GetApiMappings: (ctx, r, { domainName }) => ({
    status: 200,
    body: ctx.plane.domainNames.mappingPage(domainName, pageRequest(r, WHOLE_LIST)),
  }),
  GetApiMapping: (ctx, _r, { domainName, apiMappingId }) => ({
    status: 200,
    body: ctx.plane.domainNames.getMapping(domainName, apiMappingId),
  }),
  UpdateApiMapping: (ctx, r, { domainName, apiMappingId }) => ({
    status: 200,
    body: ctx.plane.domainNames.updateMapping(domainName, apiMappingId, parseBody(updateApiMappingSchema, r.body)),
  }),
  DeleteApiMapping: (ctx, _r, { domainName, apiMappingId }) => {
    ctx.plane.domainNames.deleteMapping(domainName, apiMappingId);
    return { status: 204 };
  },
};
