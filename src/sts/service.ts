// STS, the example service: copy this file to add one. A service is a factory that receives only what it needs
// (here the account id; a store, the edge's URL and credentials, or another service's public functions elsewhere) and
// returns an EdgeService. Its protocol module (src/protocols/query.ts here) parses requests, routes operations, and
// writes results and errors in the wire format its clients expect. See docs/adding-a-service.md.
import type { EdgeRequest, EdgeService } from '../edge/types.ts';
import type { AwsError } from '../protocols/aws-error.ts';
import {
  queryError,
  queryParameters,
  serveQuery,
  writeQueryError,
  type QueryOperation,
  type QueryService,
} from '../protocols/query.ts';

/** How STS is named on the wire: SigV4 scope `sts`, the XML namespace of its API version. */
const STS: QueryService = { name: 'sts', namespace: 'https://sts.amazonaws.com/doc/2011-06-15/' };

/** AWS's pattern for an access key id (its length, 16 to 128, is checked apart). */
const ACCESS_KEY_ID = /^\w*$/;

/** What STS is built from. */
export interface StsDeps {
  /** The account every caller belongs to (ACCOUNT_ID). */
  accountId: string;
}

/**
 * STS over the query protocol: `GetCallerIdentity` (the platform's scripts read the account id with it) and
 * `GetAccessKeyInfo`. Every other action is 501 NotImplemented naming it (serveQuery does that).
 */
export function createStsService(deps: StsDeps): EdgeService {
  const account = deps.accountId;

  /** One function per implemented operation: read parameters, return the inner XML of `<ActionResult>`. */
  const operations: Record<string, QueryOperation> = {
    GetCallerIdentity: () =>
      element('Arn', `arn:aws:iam::${account}:root`) + element('UserId', account) + element('Account', account),

    GetAccessKeyInfo: (params) => {
      const key = params.get('AccessKeyId');
      if (key === null) throw invalidAccessKeyId('null', 'Member must not be null');
      if (key.length < 16 || key.length > 128) {
        throw invalidAccessKeyId(`'${key}'`, 'Member must have length between 16 and 128');
      }
      if (!ACCESS_KEY_ID.test(key)) {
        throw invalidAccessKeyId(`'${key}'`, 'Member must satisfy regular expression pattern: [\\w]*');
      }
      // Every key belongs to the one local account.
      return element('Account', account);
    },
  };

  return {
    name: STS.name,
    // Query requests carry their parameters in a form body: the edge reads it (and checks its hash) first.
    bufferBody: true,
    handle: (request: EdgeRequest) =>
      serveQuery(STS, operations, request, queryParameters(request.rawQuery, request.body)),
    sendError: (request: EdgeRequest, error: AwsError) => writeQueryError(request, STS, error),
  };
}

/** STS's validation error for the AccessKeyId parameter. */
function invalidAccessKeyId(value: string, constraint: string): AwsError {
  const detail = `Value ${value} at 'accessKeyId' failed to satisfy constraint: ${constraint}`;
  return queryError('ValidationError', `1 validation error detected: ${detail}`);
}

/** `    <Name>value</Name>\n`: values here are ids and ARNs the service made, never client text. */
function element(name: string, value: string): string {
  return `    <${name}>${value}</${name}>\n`;
}
