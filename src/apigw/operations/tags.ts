import { parseBody, tagsSchema } from '../requests.ts';
import type { ApigwHandlers } from './types.ts';

export const tagOperations: ApigwHandlers = {
  TagResource: (ctx, r, labels) => {
    ctx.plane.tags.tag(labels['resource-arn'], parseBody(tagsSchema, r.body).tags);
    return { status: 201, body: {} };
  },
  UntagResource: (ctx, r, labels) => {
    ctx.plane.tags.untag(labels['resource-arn'], r.query.getAll('tagKeys'));
    return { status: 204 };
  },
  GetTags: (ctx, _r, labels) => ({ status: 200, body: { tags: ctx.plane.tags.get(labels['resource-arn']) } }),
};
