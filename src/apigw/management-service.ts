import { AwsError, toJsonServiceAuthError } from '../edge/errors.ts';
import type { Edge } from '../edge/server.ts';
import type { EdgeRequest, EdgeService } from '../edge/types.ts';
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
  private readonly router = new RestOperationRouter<ApigwOperation, ApigwHandler>(APIGATEWAYV2_OPERATIONS, HANDLERS, (raw) =>
    decodeLabel(raw),
  );

  constructor(
    readonly plane: ApigwControlPlane,
    private readonly edge: Edge,
  ) {}

  /** The data-plane URL of an API on this edge (path form, works with any resolver). */
  endpointOf(apiId: string): string {
    return `${this.edge.publicUrl}/_aws/execute-api/${apiId}`;
  }

  async handle(request: EdgeRequest): Promise<void> {
    const match = this.router.match(request);
    // Unconfirmed: AWS's answer to a method and path of no apigatewayv2 operation; NotFoundException is the plausible one.
    if (!match) throw notFound(`No apigatewayv2 operation matches ${request.method} ${request.rawPath}.`);
    if (!match.handler) throw notImplemented(match.operation);
    this.send(request, match.handler(this, request, match.labels));
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    const err = mapAuth(error);
    request.res.writeHead(err.status, {
      'content-type': 'application/json',
      'x-amzn-errortype': err.code,
      'x-amzn-requestid': request.requestId,
    });
    request.res.end(JSON.stringify({ message: err.message, ...err.extra }));
  }

  private send(request: EdgeRequest, reply: Reply): void {
    const headers: Record<string, string> = { 'x-amzn-requestid': request.requestId };
    if (reply.raw) {
      headers['content-type'] = reply.raw.contentType;
      request.res.writeHead(reply.status, headers);
      return void request.res.end(reply.raw.data);
    }
    if (reply.body === undefined) {
      request.res.writeHead(reply.status, headers);
      return void request.res.end();
    }
    headers['content-type'] = 'application/json';
    request.res.writeHead(reply.status, headers);
    request.res.end(JSON.stringify(reply.body));
  }
}

const S3_AUTH_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'RequestTimeTooSkewed', 'AccessDenied', 'InvalidRequest', 'AuthorizationHeaderMalformed', 'AuthorizationQueryParametersError']);

/** Errors from the edge's signature check arrive with S3 codes; JSON services answer with their own. */
function mapAuth(error: AwsError): AwsError {
  return S3_AUTH_CODES.has(error.code) ? toJsonServiceAuthError(error) : error;
}

function decodeLabel(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(`Invalid percent-encoding in path segment "${raw}".`);
  }
}

function notImplemented(operation: string): AwsError {
  return new AwsError(501, 'NotImplemented', `The apigatewayv2 operation ${operation} is not implemented by the local edge.`);
}
