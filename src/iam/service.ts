import type { ServiceDeps } from '../edge/start.ts';
import type { AwsError } from '../edge/errors.ts';
import type { EdgeRequest, EdgeService } from '../edge/types.ts';
import { queryParameters, serveQuery, writeQueryError, type QueryOperation, type QueryService } from '../protocols/query.ts';
import { IamMetadata } from '../state/iam-metadata.ts';
import { iamOperations } from './operations.ts';
import { parseRoleArn, roleArn } from './ids.ts';

const IAM: QueryService = { name: 'iam', namespace: 'https://iam.amazonaws.com/doc/2010-05-08/' };

/** The IAM role and policy store behind the `iam` scope. Policies are stored and returned, never enforced. */
export interface IamRoles {
  /** Whether the role an ARN names exists; undefined when the ARN is not a role of the edge's account. */
  roleExists(arn: string): boolean | undefined;
}

/** IAM (query protocol, XML): roles, inline and attached policies, customer managed policies. */
export class IamService implements EdgeService, IamRoles {
  readonly name = 'iam';
  readonly bufferBody = true;
  private readonly store: IamMetadata;
  private readonly operations: Record<string, QueryOperation>;

  constructor(private readonly deps: ServiceDeps) {
    this.store = new IamMetadata(deps.db);
    this.operations = iamOperations(this.store, deps.config.accountId);
  }

  async handle(request: EdgeRequest): Promise<void> {
    await serveQuery(IAM, this.operations, request, queryParameters(request.rawQuery, request.body));
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    writeQueryError(request, IAM, error);
  }

  roleExists(arn: string): boolean | undefined {
    const parsed = parseRoleArn(arn);
    if (!parsed || parsed.account !== this.deps.config.accountId) return undefined;
    const role = this.store.getRole(parsed.name);
    return role !== undefined && arn === roleArn(parsed.account, role.path, role.name);
  }
}

export function createIamService(deps: ServiceDeps): IamService {
  return new IamService(deps);
}
