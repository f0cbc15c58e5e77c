import type { ServiceDeps } from '../edge/start.ts';
import { ApigwMetadata } from '../state/apigw-metadata.ts';
import type { LambdaAnswer } from './authorizers/lambda.ts';
import { AuthorizerResultCache } from './authorizers/result-cache.ts';
import { ApigwControlPlane } from './control-plane/plane.ts';
import { ApigwDataPlane } from './data-plane.ts';
import { ApigwManagementService } from './management-service.ts';

export { DEFAULT_ACCESS_LOG_FORMAT } from './access-log.ts';

/**
 * Both API Gateway services share one metadata store and the Lambda authorizers' result cache (which
 * ResetAuthorizersCache empties); the factories are called in order by startEdge.
 */
const shared = new WeakMap<ServiceDeps['db'], { store: ApigwMetadata; authorizerResults: AuthorizerResultCache<LambdaAnswer> }>();
function sharedOf(deps: ServiceDeps) {
  let state = shared.get(deps.db);
  if (!state) {
    state = { store: new ApigwMetadata(deps.db), authorizerResults: new AuthorizerResultCache<LambdaAnswer>() };
    shared.set(deps.db, state);
  }
  return state;
}
const storeOf = (deps: ServiceDeps) => sharedOf(deps).store;

/** The management API (`apigateway`). */
export function apigwManagementFactory(deps: ServiceDeps): ApigwManagementService {
  const { store, authorizerResults } = sharedOf(deps);
  return new ApigwManagementService(new ApigwControlPlane(store, deps.config.accountId, deps.config.region, authorizerResults), deps.edge);
}

/** The data plane (`execute-api`). */
export function apigwDataPlaneFactory(deps: ServiceDeps): ApigwDataPlane {
  const { region, accountId, dataDir } = deps.config;
  return new ApigwDataPlane(storeOf(deps), deps.edge, { region, accountId, dataDir }, deps.logger, sharedOf(deps).authorizerResults);
}
