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

/** An access key id, as IAM makes them: AKIA/ASIA and 16 more characters (the edge's own keys also qualify). */
const ACCESS_KEY_ID = /^[\w]{16,128}$/;

/** What STS is built from. */
export interface StsDeps {
  /** The account every caller belongs to (DDN_ACCOUNT_ID). */
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
      if (key === null) {
        throw queryError(
          'ValidationError',
          "1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null",
        );
      }
      if (!ACCESS_KEY_ID.test(key)) {
        throw queryError(
          'ValidationError',
          `1 validation error detected: Value '${key}' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]*`,
        );
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

/** `    <Name>value</Name>\n`: values here are ids and ARNs the service made, never client text. */
function element(name: string, value: string): string {
  return `    <${name}>${value}</${name}>\n`;
}
