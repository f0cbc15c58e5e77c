import { queryPairs } from '../../protocols/http-payload.ts';
import type { GatewayRequest } from '../request-context.ts';

/** Reads one identity source of a request; undefined when the request lacks it. */
export type IdentityReader = (g: GatewayRequest) => string | undefined;

const HEADER = /^\$request\.header\.([A-Za-z0-9!#$%&'*+.^_`|~-]+)$/;
const QUERY = /^\$request\.querystring\.(.+)$/;
const STAGE_VARIABLE = /^\$stageVariables\.([A-Za-z0-9_]+)$/;
const CONTEXT = /^\$context\.([A-Za-z0-9_.]+)$/;

/** The `$context` variables an identity source may name (a subset of the access-log variables). */
const CONTEXT_VARIABLES: Record<string, IdentityReader> = {
  accountId: (g) => g.accountId,
  apiId: (g) => g.apiId,
  domainName: (g) => g.domainName,
  domainPrefix: (g) => g.domainPrefix,
  httpMethod: (g) => g.method,
  'identity.sourceIp': (g) => g.sourceIp,
  'identity.userAgent': (g) => g.userAgent,
  path: (g) => g.fullPath,
  requestId: (g) => g.requestId,
  routeKey: (g) => g.routeKey,
  stage: (g) => g.stageName,
};

/** The reader of `$request.header.X` (any case), `$request.querystring.X`, `$context.X` or `$stageVariables.X`. */
export function identityReader(source: string): IdentityReader | undefined {
  const header = HEADER.exec(source);
  if (header) {
    const name = header[1].toLowerCase();
    return (g) => {
      const value = g.req.headers[name];
      return Array.isArray(value) ? value.join(',') : value;
    };
  }
  const query = QUERY.exec(source);
  if (query) {
    const name = query[1];
    return (g) => {
      if (g.rawQuery === '') return undefined;
      const values = queryPairs(g.rawQuery)
        .filter(([k]) => k === name)
        .map(([, v]) => v);
      return values.length ? values.join(',') : undefined;
    };
  }
  const variable = STAGE_VARIABLE.exec(source);
  if (variable) {
    const name = variable[1];
    return (g) => g.stageVariables[name];
  }
  const context = CONTEXT.exec(source);
  if (context && Object.hasOwn(CONTEXT_VARIABLES, context[1])) return CONTEXT_VARIABLES[context[1]];
  return undefined;
}

/** Whether a JWT authorizer may read its token from `source`: one header or query parameter. */
export function isJwtIdentitySource(source: string): boolean {
  return HEADER.test(source) || QUERY.test(source);
}
