import type { PageTokens } from '../../protocols/pagination.ts';
import type { Page } from '../../state/apigw-metadata.ts';
import { badRequest } from '../errors.ts';

/** A Get* list request: a page size and the token of the previous page. */
export interface PageRequest {
  maxResults: number;
  nextToken?: string;
}

/** A Get* list answer as the wire spells it. */
export interface ListPage<T> {
  items: T[];
  nextToken?: string;
}

/**
 * One page of a list whose positions are row ids. A token that this list did not make (a typo, an edited token,
 * another list's) is a BadRequestException, never page 1.
 */
export function readPage<T>(
  tokens: PageTokens,
  request: PageRequest,
  read: (maxResults: number, after: number) => Page<T>,
): ListPage<T> {
  const after = request.nextToken === undefined ? 0 : tokens.decodeInteger(request.nextToken);
  // Unconfirmed: AWS's exact message for a nextToken it did not make.
  if (after === undefined) throw badRequest(`Invalid nextToken: ${request.nextToken}`);
  const page = read(request.maxResults, after);
  return page.next === undefined ? { items: page.items } : { items: page.items, nextToken: tokens.encode(page.next) };
}
