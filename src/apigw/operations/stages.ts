import {
  createDeploymentSchema,
  createStageSchema,
  parseBody,
  updateDeploymentSchema,
  updateStageSchema,
} from '../requests.ts';
import { pageRequest, WHOLE_LIST } from './paging.ts';
import type { ApigwHandlers } from './types.ts';

export const stageOperations: ApigwHandlers = {
  CreateStage: (ctx, r, { apiId }) => ({
    status: 201,
    body: ctx.plane.stages.create(apiId, parseBody(createStageSchema, r.body)),
  }),
  GetStages: (ctx, r, { apiId }) => ({ status: 200, body: ctx.plane.stages.page(apiId, pageRequest(r, WHOLE_LIST)) }),
  GetStage: (ctx, _r, { apiId, stageName }) => ({ status: 200, body: ctx.plane.stages.get(apiId, stageName) }),
  UpdateStage: (ctx, r, { apiId, stageName }) => ({
    status: 200,
    body: ctx.plane.stages.update(apiId, stageName, parseBody(updateStageSchema, r.body)),
  }),
  DeleteStage: (ctx, _r, { apiId, stageName }) => {
    ctx.plane.stages.delete(apiId, stageName);
    return { status: 204 };
  },
  DeleteAccessLogSettings: (ctx, _r, { apiId, stageName }) => {
    ctx.plane.stages.deleteAccessLogSettings(apiId, stageName);
    return { status: 204 };
  },
  DeleteRouteSettings: (ctx, _r, { apiId, stageName, routeKey }) => {
    ctx.plane.stages.deleteRouteSettings(apiId, stageName, routeKey);
    return { status: 204 };
  },
};

export const deploymentOperations: ApigwHandlers = {
  CreateDeployment: (ctx, r, { apiId }) => {
    const input = parseBody(createDeploymentSchema, r.body);
    return { status: 201, body: ctx.plane.stages.createDeployment(apiId, input.stageName, input.description) };
  },
  GetDeployments: (ctx, r, { apiId }) => ({
    status: 200,
    body: ctx.plane.stages.deploymentPage(apiId, pageRequest(r, WHOLE_LIST)),
  }),
  GetDeployment: (ctx, _r, { apiId, deploymentId }) => ({
    status: 200,
    body: ctx.plane.stages.getDeployment(apiId, deploymentId),
  }),
  UpdateDeployment: (ctx, r, { apiId, deploymentId }) => ({
    status: 200,
    body: ctx.plane.stages.updateDeployment(apiId, deploymentId, parseBody(updateDeploymentSchema, r.body).description),
  }),
  DeleteDeployment: (ctx, _r, { apiId, deploymentId }) => {
    ctx.plane.stages.deleteDeployment(apiId, deploymentId);
    return { status: 204 };
  },
};
