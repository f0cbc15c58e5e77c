import type { EdgeRequest, EdgeService } from '../edge/types.ts';
import type { AwsError } from '../protocols/aws-error.ts';
import { queryParameters, serveQuery, writeQueryError, type QueryService } from '../protocols/query.ts';
import type { IamMetadata } from '../state/iam-metadata.ts';
import { parseRoleArn, roleArn } from './ids.ts';
import { iamOperations } from './operations.ts';

/** How IAM is named on the wire: SigV4 scope `iam`, the XML namespace of its API version. */
const IAM: QueryService = { name: 'iam', namespace: 'https://iam.amazonaws.com/doc/2010-05-08/' };

/** What IAM is built from. */
export interface IamDeps {
  store: IamMetadata;
  /** The account every role and policy belongs to (DDN_ACCOUNT_ID). */
  accountId: string;
}

/** IAM's public function for other services: whether a role exists (Lambda checks a function's execution role). */
export interface IamRoles {
  /** true or false for a role ARN of the edge's account; undefined for any other ARN (another account's role). */
  roleExists(arn: string): boolean | undefined;
}

/**
 * IAM over the query protocol: roles, their inline and attached policies, customer managed policies. Policies are
 * stored and returned, never enforced. Every other action is 501 NotImplemented naming it.
 */
export function createIamService(deps: IamDeps): EdgeService & IamRoles {
  const operations = iamOperations(deps.store, deps.accountId);
  return {
    name: IAM.name,
    bufferBody: true,
    handle: (request: EdgeRequest) =>
      serveQuery(IAM, operations, request, queryParameters(request.rawQuery, request.body)),
    sendError: (request: EdgeRequest, error: AwsError) => writeQueryError(request, IAM, error),
    roleExists(arn: string): boolean | undefined {
      const parsed = parseRoleArn(arn);
      if (!parsed || parsed.account !== deps.accountId) return undefined;
      const role = deps.store.getRole(parsed.name);
      return role !== undefined && arn === roleArn(parsed.account, role.path, role.name);
    },
  };
}
