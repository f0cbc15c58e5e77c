import type { EdgeRequest } from '../../edge/types.ts';
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

/** A handler's answer: a JSON body, nothing (204), or raw text (ExportApi). */
export interface Reply {
  status: number;
  body?: unknown;
  raw?: { contentType: string; data: string };
}

/** `labels` are the URI labels by their model names (`apiId`, `routeId`...), decoded. */
export type ApigwHandler = (ctx: ManagementContext, request: EdgeRequest, labels: Record<string, string>) => Reply;

export type ApigwHandlers = Partial<Record<ApigwOperation, ApigwHandler>>;
