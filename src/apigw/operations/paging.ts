import type { EdgeRequest } from '../../edge/types.ts';
import { pageSize } from '../../protocols/pagination.ts';
import type { PageRequest } from '../control-plane/pages.ts';
import { badRequest } from '../errors.ts';

const MAX_PAGE = 500;
/** GetApis' page size when maxResults is absent. */
export const DEFAULT_API_PAGE = 25;
/**
 * The child lists (routes, integrations, stages, deployments) answer everything when maxResults is absent, as they
 * did before they paged. Unconfirmed: AWS documents no default page size for them.
 */
export const WHOLE_LIST = 2 ** 31 - 2;

/** `maxResults` and `nextToken` of a Get* request; a bad maxResults is a BadRequestException. */
export function pageRequest(r: EdgeRequest, fallback: number): PageRequest {
  const raw = r.query.get('maxResults');
  const maxResults = pageSize(raw, fallback, MAX_PAGE);
  if (maxResults === undefined) throw badRequest(`Invalid maxResults "${raw}": must be a positive integer.`);
  const nextToken = r.query.get('nextToken');
  return nextToken === null ? { maxResults } : { maxResults, nextToken };
}
