import type { Logger } from '../config/logger.ts';
import type { EdgeEndpoint } from '../edge/types.ts';
import type { LambdaInvoker } from '../lambda/invoker.ts';
import type { ApigwMetadata } from '../state/apigw-metadata.ts';
import { ApigwControlPlane } from './control-plane.ts';
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

/** API Gateway's two services, sharing one store: the management API (`apigateway`) and the data plane (`execute-api`). */
export function createApigwServices(deps: ApigwDeps): [ApigwManagementService, ApigwDataPlane] {
  const { store, region, accountId } = deps;
  return [
    new ApigwManagementService(new ApigwControlPlane(store, accountId, region), deps.endpoint),
    new ApigwDataPlane(store, deps.lambda, { region, accountId, dataDir: deps.dataDir }, deps.logger),
  ];
}
