import { createVpcLinkSchema, parseBody, updateVpcLinkSchema } from '../requests.ts';
import { DEFAULT_API_PAGE, pageRequest } from './paging.ts';
import type { ApigwHandlers } from './types.ts';

export const vpcLinkOperations: ApigwHandlers = {
  CreateVpcLink: (ctx, r) => ({ status: 201, body: ctx.plane.vpcLinks.create(parseBody(createVpcLinkSchema, r.body)) }),
  GetVpcLinks: (ctx, r) => ({ status: 200, body: ctx.plane.vpcLinks.page(pageRequest(r, DEFAULT_API_PAGE)) }),
  GetVpcLink: (ctx, _r, { vpcLinkId }) => ({ status: 200, body: ctx.plane.vpcLinks.get(vpcLinkId) }),
  UpdateVpcLink: (ctx, r, { vpcLinkId }) => ({
    status: 200,
    body: ctx.plane.vpcLinks.update(vpcLinkId, parseBody(updateVpcLinkSchema, r.body)),
  }),
  DeleteVpcLink: (ctx, _r, { vpcLinkId }) => {
    ctx.plane.vpcLinks.delete(vpcLinkId);
    return { status: 202, body: {} };
  },
};
