import type { z } from 'zod';
import { badRequest, conflict, notFound } from '../errors.ts';
import { isoNow, resourceId } from '../ids.ts';
import { omitUndefined, type Deployment, type DeploymentSnapshot, type Stage } from '../model.ts';
import type { createStageSchema, updateStageSchema } from '../requests.ts';
import { PageTokens } from '../../protocols/pagination.ts';
import { readPage, type ListPage, type PageRequest } from './pages.ts';
import type { ApigwControlPlane } from './plane.ts';
import { validateTags } from './tags.ts';
import { validateAccessLog, validateStageVariables } from './validators.ts';

type CreateStage = z.infer<typeof createStageSchema>;
type UpdateStage = z.infer<typeof updateStageSchema>;

const STAGE_NAME = /^(\$default|[A-Za-z0-9_-]{1,128})$/;
const MAX_STAGES = 10;
const STAGE_PAGES = new PageTokens('stages');
const DEPLOYMENT_PAGES = new PageTokens('deployments');

/** Stages and the deployments they serve (a deployment freezes routes, integrations and CORS). */
export class Stages {
  constructor(private readonly plane: ApigwControlPlane) {}

  private get store() {
    return this.plane.store;
  }

  create(apiId: string, input: CreateStage, managed = false): Stage {
    this.plane.apis.get(apiId);
    if (!STAGE_NAME.test(input.stageName)) {
      throw badRequest(`Invalid stage name "${input.stageName}": use $default or 1-128 letters, digits, '-' and '_'.`);
    }
    if (this.store.getChild('stages', apiId, input.stageName))
      throw conflict(`Stage ${input.stageName} already exists`);
    if (this.store.listChildren('stages', apiId).length >= MAX_STAGES)
      throw badRequest(`An API can have at most ${MAX_STAGES} stages.`);
    if (input.deploymentId && !this.store.getDeployment(apiId, input.deploymentId)) {
      throw notFound(`Invalid Deployment identifier specified ${input.deploymentId}`, 'Deployment');
    }
    validateStageVariables(input.stageVariables);
    validateAccessLog(input.accessLogSettings);
    validateTags(input.tags ?? {});
    const now = isoNow();
    const stage: Stage = omitUndefined({
      stageName: input.stageName,
      autoDeploy: input.autoDeploy ?? false,
      deploymentId: input.deploymentId,
      description: input.description,
      stageVariables: input.stageVariables ?? {},
      accessLogSettings: input.accessLogSettings,
      defaultRouteSettings: { detailedMetricsEnabled: false, ...input.defaultRouteSettings },
      routeSettings: input.routeSettings ?? {},
      clientCertificateId: input.clientCertificateId,
      tags: input.tags ?? {},
      createdDate: now,
      lastUpdatedDate: now,
      apiGatewayManaged: managed ? true : undefined,
    });
    return this.store.transaction(() => {
      this.store.putStage(apiId, stage.stageName, stage);
      if (stage.autoDeploy) this.deploy(apiId, undefined, true, [stage]);
      return this.get(apiId, stage.stageName);
    });
  }

  get(apiId: string, stageName: string): Stage {
    this.plane.apis.get(apiId);
    const stage = this.store.getChild('stages', apiId, stageName);
    if (!stage) throw notFound(`Invalid stage identifier specified ${stageName}`, 'Stage');
    return stage;
  }

  page(apiId: string, request: PageRequest): ListPage<Stage> {
    this.plane.apis.get(apiId);
    return readPage(STAGE_PAGES, request, (max, after) => this.store.listChildrenPage('stages', apiId, max, after));
  }

  update(apiId: string, stageName: string, input: UpdateStage): Stage {
    const current = this.get(apiId, stageName);
    if (input.stageName !== undefined && input.stageName !== stageName) throw badRequest('A stage cannot be renamed.');
    if (input.deploymentId && !this.store.getDeployment(apiId, input.deploymentId)) {
      throw notFound(`Invalid Deployment identifier specified ${input.deploymentId}`, 'Deployment');
    }
    validateStageVariables(input.stageVariables);
    validateAccessLog(input.accessLogSettings);
    const stage: Stage = {
      ...current,
      ...omitUndefined(input),
      stageName,
      defaultRouteSettings: { ...current.defaultRouteSettings, ...input.defaultRouteSettings },
      routeSettings: input.routeSettings ? { ...current.routeSettings, ...input.routeSettings } : current.routeSettings,
      lastUpdatedDate: isoNow(),
    };
    return this.store.transaction(() => {
      this.store.putStage(apiId, stageName, stage);
      if (stage.autoDeploy && !current.autoDeploy) this.deploy(apiId, undefined, true, [stage]);
      return this.get(apiId, stageName);
    });
  }

  delete(apiId: string, stageName: string): void {
    this.get(apiId, stageName);
    this.store.deleteChild('stages', apiId, stageName);
  }

  deleteAccessLogSettings(apiId: string, stageName: string): void {
    const { accessLogSettings: _gone, ...stage } = this.get(apiId, stageName);
    this.store.putStage(apiId, stageName, { ...stage, lastUpdatedDate: isoNow() });
  }

  deleteRouteSettings(apiId: string, stageName: string, routeKey: string): void {
    const stage = this.get(apiId, stageName);
    if (!(routeKey in stage.routeSettings))
      throw notFound(`Invalid route settings identifier specified ${routeKey}`, 'RouteSettings');
    const { [routeKey]: _gone, ...routeSettings } = stage.routeSettings;
    this.store.putStage(apiId, stageName, { ...stage, routeSettings, lastUpdatedDate: isoNow() });
  }

  // ---- Deployments ----

  createDeployment(apiId: string, stageName?: string, description?: string): Deployment {
    this.plane.apis.get(apiId);
    const stages = stageName ? [this.get(apiId, stageName)] : [];
    if (stages[0]?.autoDeploy)
      throw badRequest(`Stage ${stageName} has autoDeploy enabled; its deployments are created automatically.`);
    return this.store.transaction(() => this.deploy(apiId, description, false, stages));
  }

  deploymentPage(apiId: string, request: PageRequest): ListPage<Deployment> {
    this.plane.apis.get(apiId);
    return readPage(DEPLOYMENT_PAGES, request, (max, after) => this.store.listDeploymentsPage(apiId, max, after));
  }

  getDeployment(apiId: string, deploymentId: string): Deployment {
    this.plane.apis.get(apiId);
    const d = this.store.getDeployment(apiId, deploymentId);
    if (!d) throw notFound(`Invalid Deployment identifier specified ${deploymentId}`, 'Deployment');
    return d;
  }

  updateDeployment(apiId: string, deploymentId: string, description: string | undefined): Deployment {
    const deployment = omitUndefined({ ...this.getDeployment(apiId, deploymentId), description });
    this.store.updateDeployment(apiId, deploymentId, deployment);
    return deployment;
  }

  /** AWS refuses to delete a deployment that a stage serves. */
  deleteDeployment(apiId: string, deploymentId: string): void {
    this.getDeployment(apiId, deploymentId);
    if (this.store.listChildren('stages', apiId).some((s) => s.deploymentId === deploymentId)) {
      // AWS's message for REST APIs; unconfirmed that HTTP APIs word it the same.
      throw badRequest('Active stages pointing to this deployment must be moved or deleted');
    }
    this.store.deleteDeployment(apiId, deploymentId);
  }

  /** Redeploys every stage of the API that has autoDeploy on. */
  autoDeploy(apiId: string): void {
    const stages = this.store.listChildren('stages', apiId).filter((s) => s.autoDeploy);
    if (stages.length > 0) this.deploy(apiId, undefined, true, stages);
  }

  /** Freezes the API's routes, integrations, authorizers and CORS into a deployment and points `stages` at it. */
  private deploy(apiId: string, description: string | undefined, autoDeployed: boolean, stages: Stage[]): Deployment {
    const deployment: Deployment = omitUndefined({
      deploymentId: resourceId(6),
      autoDeployed,
      createdDate: isoNow(),
      deploymentStatus: 'DEPLOYED' as const,
      description,
    });
    const snapshot: DeploymentSnapshot = omitUndefined({
      routes: this.store.listChildren('routes', apiId),
      integrations: this.store.listChildren('integrations', apiId),
      authorizers: this.store.listChildren('authorizers', apiId),
      corsConfiguration: this.store.getApi(apiId)?.corsConfiguration,
    });
    this.store.putDeployment(apiId, deployment.deploymentId, deployment, snapshot);
    for (const stage of stages) {
      this.store.putStage(apiId, stage.stageName, {
        ...stage,
        deploymentId: deployment.deploymentId,
        lastDeploymentStatusMessage: `Successfully deployed stage with deployment ID '${deployment.deploymentId}'`,
        lastUpdatedDate: isoNow(),
      });
    }
    return deployment;
  }
}
