import type { AwsError } from '../protocols/aws-error.ts';
import { pathParameter, writeRestJsonError } from '../protocols/rest-json.ts';
import { RestJsonOperations } from '../protocols/rest-json-operations.ts';
import type { EdgeEndpoint, EdgeRequest, EdgeService } from '../edge/types.ts';
import type { ApigwControlPlane } from './control-plane/plane.ts';
import { badRequest, notFound } from './errors.ts';
import { APIGATEWAYV2_OPERATIONS } from './model-operations.ts';
import { apiOperations } from './operations/apis.ts';
import { apiMappingOperations, domainNameOperations } from './operations/domain-names.ts';
import { authorizerOperations } from './operations/authorizers.ts';
import { integrationOperations } from './operations/integrations.ts';
import { modelOperations } from './operations/models.ts';
import { routeOperations } from './operations/routes.ts';
import { deploymentOperations, stageOperations } from './operations/stages.ts';
import { tagOperations } from './operations/tags.ts';
import { vpcLinkOperations } from './operations/vpc-links.ts';
import type { ApigwOperation, ManagementContext } from './operations/types.ts';

const OPERATIONS = new RestJsonOperations<ApigwOperation, ManagementContext, EdgeRequest>({
  service: 'apigatewayv2',
  operations: APIGATEWAYV2_OPERATIONS,
  handlers: {
    ...apiOperations,
    ...integrationOperations,
    ...routeOperations,
    ...authorizerOperations,
    ...stageOperations,
    ...deploymentOperations,
    ...tagOperations,
    ...domainNameOperations,
    ...apiMappingOperations,
    ...vpcLinkOperations,
    ...modelOperations,
  },
  decodeLabel: (raw) => pathParameter(raw, () => badRequest(`Invalid percent-encoding in path segment "${raw}".`)),
  // Unconfirmed: AWS's answer to a method and path of no apigatewayv2 operation; NotFoundException is the plausible one.
  unknownOperation: (r) => notFound(`No apigatewayv2 operation matches ${r.method} ${r.rawPath}.`),
});

/** The apigatewayv2 management API (`/v2/...`, rest-json, SigV4 service `apigateway`). */
export class ApigwManagementService implements EdgeService, ManagementContext {
  readonly name = 'apigateway';
  readonly bufferBody = true;

  constructor(
    readonly plane: ApigwControlPlane,
    private readonly edge: EdgeEndpoint,
  ) {}

  /** The data-plane URL of an API on this edge (path form, works with any resolver). */
  endpointOf(apiId: string): string {
    return `${this.edge.publicUrl}/_aws/execute-api/${apiId}`;
  }

  handle(request: EdgeRequest): Promise<void> {
    return OPERATIONS.serve(this, request);
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    writeRestJsonError(request, error);
  }
}
