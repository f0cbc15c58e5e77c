import type { ServiceDeps } from '../edge/start.ts';
import type { AwsError } from '../edge/errors.ts';
import type { EdgeRequest, EdgeService } from '../edge/types.ts';
import { queryParameters, serveQuery, writeQueryError, type QueryOperation, type QueryService } from '../protocols/query.ts';

const STS: QueryService = { name: 'sts', namespace: 'https://sts.amazonaws.com/doc/2011-06-15/' };

/** STS `GetCallerIdentity` (query protocol): the one call the platform's scripts make, to read the account id. */
export class StsService implements EdgeService {
  readonly name = 'sts';
  readonly bufferBody = true;
  private readonly operations: Record<string, QueryOperation>;

  constructor(deps: ServiceDeps) {
    const account = deps.config.accountId;
    this.operations = {
      GetCallerIdentity: () =>
        `    <Arn>arn:aws:iam::${account}:root</Arn>\n    <UserId>${account}</UserId>\n    <Account>${account}</Account>\n`,
    };
  }

  async handle(request: EdgeRequest): Promise<void> {
    await serveQuery(STS, this.operations, request, queryParameters(request.rawQuery, request.body));
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    writeQueryError(request, STS, error);
  }
}
