import type { EdgeRequest } from '../../edge/types.ts';
import type { RestJsonHandler } from '../../protocols/rest-json-operations.ts';
import type { ApigwControlPlane } from '../control-plane/plane.ts';
import type { APIGATEWAYV2_OPERATIONS } from '../model-operations.ts';

/** An operation name of botocore's apigatewayv2 model. */
export type ApigwOperation = (typeof APIGATEWAYV2_OPERATIONS)[number]['name'];

/** What a management handler works with. */
export interface ManagementContext {
  readonly plane: ApigwControlPlane;
  /** The data-plane URL of an API on this edge. */
  endpointOf(apiId: string): string;
}

export type ApigwHandler = RestJsonHandler<ManagementContext, EdgeRequest>;

/** Handlers by operation name; the service answers 501 NotImplemented for the model's other operations. */
export type ApigwHandlers = Partial<Record<ApigwOperation, ApigwHandler>>;
