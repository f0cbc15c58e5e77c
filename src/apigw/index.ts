import type { ServiceDeps } from '../edge/start.ts';
import { ApigwMetadata } from '../state/apigw-metadata.ts';
import { ApigwControlPlane } from './control-plane/plane.ts';
import { ApigwDataPlane } from './data-plane.ts';
import { ApigwManagementService } from './management-service.ts';

export { DEFAULT_ACCESS_LOG_FORMAT } from './access-log.ts';

/** Both API Gateway services share one metadata store; the factories are called in order by startEdge. */
const stores = new WeakMap<ServiceDeps['db'], ApigwMetadata>();
function storeOf(deps: ServiceDeps): ApigwMetadata {
  let store = stores.get(deps.db);
  if (!store) {
    store = new ApigwMetadata(deps.db);
    stores.set(deps.db, store);
  }
  return store;
}

/** The management API (`apigateway`). */
export function apigwManagementFactory(deps: ServiceDeps): ApigwManagementService {
  return new ApigwManagementService(new ApigwControlPlane(storeOf(deps), deps.config.accountId, deps.config.region), deps.edge);
}

/** The data plane (`execute-api`). */
export function apigwDataPlaneFactory(deps: ServiceDeps): ApigwDataPlane {
  return new ApigwDataPlane(storeOf(deps), deps.edge, { region: deps.config.region, accountId: deps.config.accountId, dataDir: deps.config.dataDir }, deps.logger);
}
