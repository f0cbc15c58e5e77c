import type { AwsError } from '../protocols/aws-error.ts';
import { pathParameter, restJsonNotImplemented, sendRestJson, writeRestJsonError } from '../protocols/rest-json.ts';
import type { EdgeEndpoint, EdgeRequest, EdgeService } from '../edge/types.ts';
import { RestOperationRouter } from '../protocols/rest-router.ts';
import type { ApigwControlPlane } from './control-plane/plane.ts';
import { badRequest, notFound } from './errors.ts';
import { APIGATEWAYV2_OPERATIONS } from './model-operations.ts';
import { apiOperations } from './operations/apis.ts';
import { authorizerOperations } from './operations/authorizers.ts';
import { integrationOperations } from './operations/integrations.ts';
import { routeOperations } from './operations/routes.ts';
import { deploymentOperations, stageOperations } from './operations/stages.ts';
import type { ApigwHandler, ApigwOperation, ManagementContext, Reply } from './operations/types.ts';

/** The operations the edge implements; every other operation of the model answers 501 NotImplemented. */
const HANDLERS = {
  ...apiOperations,
  ...integrationOperations,
  ...routeOperations,
  ...authorizerOperations,
  ...stageOperations,
  ...deploymentOperations,
};

/** The apigatewayv2 management API (`/v2/...`, rest-json, SigV4 service `apigateway`). */
export class ApigwManagementService implements EdgeService, ManagementContext {
  readonly name = 'apigateway';
  readonly bufferBody = true;
  private readonly router = new RestOperationRouter<ApigwOperation, ApigwHandler>(
    APIGATEWAYV2_OPERATIONS,
    HANDLERS,
    (raw) => pathParameter(raw, () => badRequest(`Invalid percent-encoding in path segment "${raw}".`)),
  );

  constructor(
    readonly plane: ApigwControlPlane,
    private readonly edge: EdgeEndpoint,
  ) {}

  /** The data-plane URL of an API on this edge (path form, works with any resolver). */
  endpointOf(apiId: string): string {
    return `${this.edge.publicUrl}/_aws/execute-api/${apiId}`;
  }

  handle(request: EdgeRequest): Promise<void> {
    const match = this.router.match(request);
    // Unconfirmed: AWS's answer to a method and path of no apigatewayv2 operation; NotFoundException is the plausible one.
    if (!match) throw notFound(`No apigatewayv2 operation matches ${request.method} ${request.rawPath}.`);
    if (!match.handler) throw restJsonNotImplemented('apigatewayv2', match.operation);
    this.send(request, match.handler(this, request, match.labels));
    return Promise.resolve();
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    writeRestJsonError(request, error);
  }

  private send(request: EdgeRequest, reply: Reply): void {
    if (reply.raw) {
      request.res.writeHead(reply.status, {
        'x-amzn-requestid': request.requestId,
        'content-type': reply.raw.contentType,
      });
      return void request.res.end(reply.raw.data);
    }
    sendRestJson(request, reply.status, reply.body);
  }
}
