import type { Logger } from '../config/logger.ts';
import type { EdgeEndpoint } from '../edge/types.ts';
import type { LambdaInvoker } from '../lambda/invoker.ts';
import type { ApigwMetadata } from '../state/apigw-metadata.ts';
import type { LambdaAnswer } from './authorizers/lambda.ts';
import { AuthorizerResultCache } from './authorizers/result-cache.ts';
import { ApigwControlPlane } from './control-plane/plane.ts';
import { ApigwDataPlane } from './data-plane.ts';
import { ApigwManagementService } from './management-service.ts';

export { DEFAULT_ACCESS_LOG_FORMAT } from './access-log.ts';

/** What API Gateway is built from. */
export interface ApigwDeps {
  store: ApigwMetadata;
  region: string;
  accountId: string;
  /** Where stages' access logs are written (`DATA_DIR/apigw/...`). */
  dataDir: string;
  logger: Logger;
  endpoint: EdgeEndpoint;
  /** AWS_PROXY integrations call functions through it. */
  lambda: LambdaInvoker;
}

/**
 * API Gateway's two services, sharing one store and the Lambda authorizers' result cache (which ResetAuthorizersCache
 * empties): the management API (`apigateway`) and the data plane (`execute-api`).
 */
export function createApigwServices(deps: ApigwDeps): [ApigwManagementService, ApigwDataPlane] {
  const { store, region, accountId } = deps;
  const authorizerResults = new AuthorizerResultCache<LambdaAnswer>();
  const settings = { region, accountId, dataDir: deps.dataDir, credentials: deps.endpoint.credentials };
  return [
    new ApigwManagementService(new ApigwControlPlane(store, accountId, region, authorizerResults), deps.endpoint),
    new ApigwDataPlane(store, deps.lambda, settings, deps.logger, authorizerResults),
  ];
}
