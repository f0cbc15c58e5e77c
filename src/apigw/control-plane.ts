import type { z } from 'zod';
import type { ApigwMetadata } from '../state/apigw-metadata.ts';
import { PageTokens } from '../protocols/pagination.ts';
import { badRequest, conflict, notFound } from './errors.ts';
import { isoNow, resourceId } from './ids.ts';
import {
  DEFAULT_TIMEOUT_MS,
  type Api,
  type CorsConfiguration,
  type Deployment,
  type DeploymentSnapshot,
  type Integration,
  type Route,
  type Stage,
} from './model.ts';
import type {
  createApiSchema,
  createIntegrationSchema,
  createRouteSchema,
  createStageSchema,
  updateApiSchema,
  updateIntegrationSchema,
  updateRouteSchema,
  updateStageSchema,
} from './requests.ts';
import { findConflictingVariable, parseRouteKey, RouteKeyError, type ParsedRouteKey } from './routes.ts';

type CreateApi = z.infer<typeof createApiSchema>;
type UpdateApi = z.infer<typeof updateApiSchema>;
type CreateIntegration = z.infer<typeof createIntegrationSchema>;
type UpdateIntegration = z.infer<typeof updateIntegrationSchema>;
type CreateRoute = z.infer<typeof createRouteSchema>;
type UpdateRoute = z.infer<typeof updateRouteSchema>;
type CreateStage = z.infer<typeof createStageSchema>;
type UpdateStage = z.infer<typeof updateStageSchema>;

const STAGE_NAME = /^(\$default|[A-Za-z0-9_-]{1,128})$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_$.{}-]+(:[A-Za-z0-9_$.{}-]+)?$/;
const LAMBDA_INVOKE_URI = /^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path\/2015-03-31\/functions\/(.+)\/invocations$/;
const API_PAGES = new PageTokens('apis');
const MAX_ROUTES = 300;
const MAX_INTEGRATIONS = 300;
const MAX_STAGES = 10;

/** The management operations of HTTP APIs, on top of the metadata store. Every write that changes routes, integrations or CORS redeploys auto-deploy stages. */
export class ApigwControlPlane {
  constructor(
    readonly store: ApigwMetadata,
    readonly accountId: string,
    readonly region: string,
  ) {}

  // ---- APIs ----

  createApi(input: CreateApi, extra: Partial<Api> = {}): Api {
    if (input.protocolType !== 'HTTP') {
      throw badRequest(
        input.protocolType === 'WEBSOCKET' ? 'WebSocket APIs are not supported by the local gateway; use protocolType HTTP.' : `Invalid protocolType '${input.protocolType}': must be HTTP or WEBSOCKET.`,
      );
    }
    validateCors(input.corsConfiguration);
    const api: Api = omitUndefined({
      apiId: resourceId(10),
      name: input.name,
      protocolType: 'HTTP' as const,
      apiKeySelectionExpression: input.apiKeySelectionExpression ?? '$request.header.x-api-key',
      routeSelectionExpression: '$request.method $request.path',
      createdDate: isoNow(),
      disableExecuteApiEndpoint: input.disableExecuteApiEndpoint ?? false,
      disableSchemaValidation: input.disableSchemaValidation,
      ipAddressType: input.ipAddressType ?? 'ipv4',
      corsConfiguration: input.corsConfiguration,
      description: input.description,
      version: input.version,
      tags: input.tags ?? {},
      ...extra,
    });
    this.store.transaction(() => {
      this.store.putApi(api.apiId, api);
      if (input.target) this.quickCreate(api, input);
    });
    return api;
  }

  /** CreateApi with `target`: an integration, a route (`$default` or `routeKey`) and an auto-deployed `$default` stage, all managed. */
  private quickCreate(api: Api, input: CreateApi): void {
    const target = input.target!;
    const isHttp = /^https?:\/\//.test(target);
    const integration = this.createIntegration(api.apiId, {
      integrationType: isHttp ? 'HTTP_PROXY' : 'AWS_PROXY',
      integrationUri: target,
      integrationMethod: isHttp ? 'ANY' : 'POST',
      payloadFormatVersion: isHttp ? '1.0' : '2.0',
      credentialsArn: input.credentialsArn,
    }, true);
    this.createRoute(api.apiId, { routeKey: input.routeKey ?? '$default', target: `integrations/${integration.integrationId}` }, true);
    this.createStage(api.apiId, { stageName: '$default', autoDeploy: true }, true);
  }

  getApi(apiId: string): Api {
    const api = this.store.getApi(apiId);
    if (!api) throw notFound(`Invalid API identifier specified ${this.accountId}:${apiId}`, 'Api');
    return api;
  }

  getApis(maxResults: number, nextToken?: string): { items: Api[]; nextToken?: string } {
    const after = nextToken === undefined ? 0 : API_PAGES.decodeInteger(nextToken);
    if (after === undefined) throw badRequest(`Invalid nextToken: ${nextToken}`);
    const page = this.store.listApis(maxResults, after);
    return { items: page.items, nextToken: page.next === undefined ? undefined : API_PAGES.encode(page.next) };
  }

  updateApi(apiId: string, input: UpdateApi): Api {
    const api = this.getApi(apiId);
    if (input.corsConfiguration) validateCors(input.corsConfiguration);
    const { routeKey: _r, target: _t, credentialsArn: _c, routeSelectionExpression: _s, ...changes } = input;
    const updated = omitUndefined({ ...api, ...changes });
    this.store.transaction(() => {
      this.store.putApi(apiId, updated);
      if (input.corsConfiguration !== undefined) this.autoDeploy(apiId);
    });
    return updated;
  }

  deleteApi(apiId: string): void {
    this.getApi(apiId);
    this.store.deleteApi(apiId);
  }

  deleteCorsConfiguration(apiId: string): void {
    const { corsConfiguration: _gone, ...api } = this.getApi(apiId);
    this.store.transaction(() => {
      this.store.putApi(apiId, api);
      this.autoDeploy(apiId);
    });
  }

  // ---- Integrations ----

  createIntegration(apiId: string, input: CreateIntegration, managed = false): Integration {
    this.getApi(apiId);
    if (this.store.listChildren('integrations', apiId).length >= MAX_INTEGRATIONS) {
      throw badRequest(`An API can have at most ${MAX_INTEGRATIONS} integrations.`);
    }
    const integration = validateIntegration({ integrationId: resourceId(7), ...input, ...(managed ? { apiGatewayManaged: true } : {}) });
    this.store.transaction(() => {
      this.store.putIntegration(apiId, integration.integrationId, integration);
      this.autoDeploy(apiId);
    });
    return integration;
  }

  getIntegration(apiId: string, integrationId: string): Integration {
    this.getApi(apiId);
    const integration = this.store.getChild('integrations', apiId, integrationId);
    if (!integration) throw notFound(`Invalid Integration identifier specified ${integrationId}`, 'Integration');
    return integration;
  }

  getIntegrations(apiId: string): Integration[] {
    this.getApi(apiId);
    return this.store.listChildren('integrations', apiId);
  }

  updateIntegration(apiId: string, integrationId: string, input: UpdateIntegration): Integration {
    const current = this.getIntegration(apiId, integrationId);
    const integration = validateIntegration({ ...current, ...omitUndefined(input) });
    this.store.transaction(() => {
      this.store.putIntegration(apiId, integrationId, integration);
      this.autoDeploy(apiId);
    });
    return integration;
  }

  deleteIntegration(apiId: string, integrationId: string): void {
    this.getIntegration(apiId, integrationId);
    const users = this.store.listChildren('routes', apiId).filter((r) => r.target === `integrations/${integrationId}`);
    if (users.length > 0) {
      // Unconfirmed on AWS; refusing keeps routes from pointing at nothing.
      throw conflict(`Integration ${integrationId} is still the target of route(s) ${users.map((r) => r.routeKey).join(', ')}; delete or retarget them first.`);
    }
    this.store.transaction(() => {
      this.store.deleteChild('integrations', apiId, integrationId);
      this.autoDeploy(apiId);
    });
  }

  // ---- Routes ----

  createRoute(apiId: string, input: CreateRoute, managed = false): Route {
    this.getApi(apiId);
    const routes = this.store.listChildren('routes', apiId);
    if (routes.length >= MAX_ROUTES) throw badRequest(`An API can have at most ${MAX_ROUTES} routes.`);
    const route: Route = omitUndefined({
      routeId: resourceId(7),
      routeKey: input.routeKey,
      target: input.target,
      authorizationType: input.authorizationType ?? 'NONE',
      apiKeyRequired: input.apiKeyRequired ?? false,
      authorizationScopes: input.authorizationScopes,
      authorizerId: input.authorizerId,
      operationName: input.operationName,
      requestParameters: input.requestParameters,
      apiGatewayManaged: managed ? true : undefined,
    });
    this.validateRoute(apiId, route, routes);
    this.store.transaction(() => {
      this.store.putRoute(apiId, route.routeId, route.routeKey, route);
      this.autoDeploy(apiId);
    });
    return route;
  }

  getRoute(apiId: string, routeId: string): Route {
    this.getApi(apiId);
    const route = this.store.getChild('routes', apiId, routeId);
    if (!route) throw notFound(`Invalid Route identifier specified ${routeId}`, 'Route');
    return route;
  }

  getRoutes(apiId: string): Route[] {
    this.getApi(apiId);
    return this.store.listChildren('routes', apiId);
  }

  updateRoute(apiId: string, routeId: string, input: UpdateRoute): Route {
    const current = this.getRoute(apiId, routeId);
    if (current.apiGatewayManaged && input.routeKey !== undefined && input.routeKey !== current.routeKey) {
      throw conflict(`The route key of a route managed by API Gateway cannot be changed.`);
    }
    const route: Route = { ...current, ...omitUndefined(input) };
    this.validateRoute(apiId, route, this.store.listChildren('routes', apiId).filter((r) => r.routeId !== routeId));
    this.store.transaction(() => {
      this.store.putRoute(apiId, routeId, route.routeKey, route);
      this.autoDeploy(apiId);
    });
    return route;
  }

  deleteRoute(apiId: string, routeId: string): void {
    this.getRoute(apiId, routeId);
    this.store.transaction(() => {
      this.store.deleteChild('routes', apiId, routeId);
      this.autoDeploy(apiId);
    });
  }

  private validateRoute(apiId: string, route: Route, others: Route[]): void {
    let parsed;
    try {
      parsed = parseRouteKey(route.routeKey);
    } catch (err) {
      if (err instanceof RouteKeyError) throw badRequest(`Invalid route key "${route.routeKey}": ${err.message}.`);
      throw err;
    }
    if (others.some((r) => r.routeKey === route.routeKey)) throw conflict(`Route with key ${route.routeKey} already exists for this API`);
    if (parsed.key !== '$default') {
      const clash = findConflictingVariable(
        parsed as ParsedRouteKey,
        others.map((r) => parseRouteKey(r.routeKey)).filter((p): p is ParsedRouteKey => p.key !== '$default'),
      );
      if (clash) {
        throw conflict(`The provided route key "${route.routeKey}" has a conflicting variable on the same hierarchical level as "${clash.key}"`);
      }
    }
    if (route.authorizationType !== 'NONE') {
      throw badRequest(`authorizationType ${route.authorizationType} is not supported by the local gateway; use NONE.`);
    }
    if (route.target !== undefined) {
      const m = /^integrations\/([a-z0-9]+)$/.exec(route.target);
      if (!m) throw badRequest(`Invalid target "${route.target}": must be integrations/{integrationId}.`);
      if (!this.store.getChild('integrations', apiId, m[1]!)) {
        throw badRequest(`Invalid target "${route.target}": integration ${m[1]} does not exist in API ${apiId}.`);
      }
    }
  }

  // ---- Stages and deployments ----

  createStage(apiId: string, input: CreateStage, managed = false): Stage {
    this.getApi(apiId);
    if (!STAGE_NAME.test(input.stageName)) {
      throw badRequest(`Invalid stage name "${input.stageName}": use $default or 1-128 letters, digits, '-' and '_'.`);
    }
    if (this.store.getChild('stages', apiId, input.stageName)) throw conflict(`Stage ${input.stageName} already exists`);
    if (this.store.listChildren('stages', apiId).length >= MAX_STAGES) throw badRequest(`An API can have at most ${MAX_STAGES} stages.`);
    if (input.deploymentId && !this.store.getDeployment(apiId, input.deploymentId)) {
      throw notFound(`Invalid Deployment identifier specified ${input.deploymentId}`, 'Deployment');
    }
    validateStageVariables(input.stageVariables);
    validateAccessLog(input.accessLogSettings);
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
      return this.getStage(apiId, stage.stageName);
    });
  }

  getStage(apiId: string, stageName: string): Stage {
    this.getApi(apiId);
    const stage = this.store.getChild('stages', apiId, stageName);
    if (!stage) throw notFound(`Invalid stage identifier specified ${stageName}`, 'Stage');
    return stage;
  }

  getStages(apiId: string): Stage[] {
    this.getApi(apiId);
    return this.store.listChildren('stages', apiId);
  }

  updateStage(apiId: string, stageName: string, input: UpdateStage): Stage {
    const current = this.getStage(apiId, stageName);
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
      return this.getStage(apiId, stageName);
    });
  }

  deleteStage(apiId: string, stageName: string): void {
    this.getStage(apiId, stageName);
    this.store.deleteChild('stages', apiId, stageName);
  }

  deleteAccessLogSettings(apiId: string, stageName: string): void {
    const { accessLogSettings: _gone, ...stage } = this.getStage(apiId, stageName);
    this.store.putStage(apiId, stageName, { ...stage, lastUpdatedDate: isoNow() });
  }

  deleteRouteSettings(apiId: string, stageName: string, routeKey: string): void {
    const stage = this.getStage(apiId, stageName);
    if (!(routeKey in stage.routeSettings)) throw notFound(`Invalid route settings identifier specified ${routeKey}`, 'RouteSettings');
    const { [routeKey]: _gone, ...routeSettings } = stage.routeSettings;
    this.store.putStage(apiId, stageName, { ...stage, routeSettings, lastUpdatedDate: isoNow() });
  }

  createDeployment(apiId: string, stageName?: string, description?: string): Deployment {
    this.getApi(apiId);
    const stages = stageName ? [this.getStage(apiId, stageName)] : [];
    if (stages[0]?.autoDeploy) throw badRequest(`Stage ${stageName} has autoDeploy enabled; its deployments are created automatically.`);
    return this.store.transaction(() => this.deploy(apiId, description, false, stages));
  }

  getDeployments(apiId: string): Deployment[] {
    this.getApi(apiId);
    return this.store.listDeployments(apiId);
  }

  getDeployment(apiId: string, deploymentId: string): Deployment {
    this.getApi(apiId);
    const d = this.store.getDeployment(apiId, deploymentId);
    if (!d) throw notFound(`Invalid Deployment identifier specified ${deploymentId}`, 'Deployment');
    return d;
  }

  /** Freezes the API's routes, integrations and CORS into a deployment and points `stages` at it. */
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

  /** Redeploys every stage of the API that has autoDeploy on. */
  private autoDeploy(apiId: string): void {
    const stages = this.store.listChildren('stages', apiId).filter((s) => s.autoDeploy);
    if (stages.length > 0) this.deploy(apiId, undefined, true, stages);
  }
}

function validateCors(cors: CorsConfiguration | undefined): void {
  if (cors?.allowCredentials && cors.allowOrigins?.includes('*')) {
    throw badRequest("allow-credentials is not supported if 'allow-origin' is *");
  }
}

type IntegrationDraft = Omit<Partial<Integration>, 'integrationType' | 'payloadFormatVersion'> & {
  integrationId: string;
  integrationType?: string;
  payloadFormatVersion?: string;
};

function validateIntegration(i: IntegrationDraft): Integration {
  const type = i.integrationType;
  if (type !== 'AWS_PROXY' && type !== 'HTTP_PROXY') {
    throw badRequest(
      ['AWS', 'HTTP', 'MOCK'].includes(type ?? '')
        ? `Integration type ${type} is not supported for HTTP APIs; use AWS_PROXY or HTTP_PROXY.`
        : `Invalid integrationType '${type}': use AWS_PROXY or HTTP_PROXY.`,
    );
  }
  if (!i.integrationUri) throw badRequest(`integrationUri is required for ${type} integrations.`);
  const timeout = i.timeoutInMillis ?? DEFAULT_TIMEOUT_MS;
  if (timeout < 50 || timeout > 30_000) throw badRequest(`Invalid timeoutInMillis ${timeout}: must be between 50 and 30000.`);
  let payloadFormatVersion = i.payloadFormatVersion;
  if (type === 'AWS_PROXY') {
    if (!LAMBDA_ARN.test(i.integrationUri) && !LAMBDA_INVOKE_URI.test(i.integrationUri)) {
      throw badRequest(
        `Invalid integrationUri '${i.integrationUri}' for AWS_PROXY: use a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME) or its invocation URI.`,
      );
    }
    if (payloadFormatVersion === undefined) throw badRequest('payloadFormatVersion is required for AWS_PROXY integrations ("1.0" or "2.0").');
  } else {
    let url: URL;
    try {
      url = new URL(i.integrationUri.replace(/\$\{stageVariables\.[A-Za-z0-9_]+\}/g, 'stagevar'));
    } catch {
      throw badRequest(`Invalid integrationUri '${i.integrationUri}' for HTTP_PROXY: must be an absolute http(s) URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw badRequest(`Invalid integrationUri '${i.integrationUri}' for HTTP_PROXY: must be an absolute http(s) URL.`);
    }
    payloadFormatVersion ??= '1.0';
  }
  if (payloadFormatVersion !== '1.0' && payloadFormatVersion !== '2.0') {
    throw badRequest(`Invalid payloadFormatVersion '${payloadFormatVersion}': use "1.0" or "2.0".`);
  }
  if (type === 'HTTP_PROXY' && payloadFormatVersion !== '1.0') throw badRequest('HTTP_PROXY integrations support only payloadFormatVersion 1.0.');
  if (i.connectionType === 'VPC_LINK') throw badRequest('VPC_LINK connections are not supported by the local gateway.');
  return omitUndefined({
    ...i,
    integrationType: type,
    integrationUri: i.integrationUri,
    integrationMethod: type === 'AWS_PROXY' ? 'POST' : (i.integrationMethod ?? 'ANY').toUpperCase(),
    payloadFormatVersion,
    timeoutInMillis: timeout,
    connectionType: 'INTERNET' as const,
  }) as Integration;
}

function validateStageVariables(vars: Record<string, string> | undefined): void {
  for (const [k, v] of Object.entries(vars ?? {})) {
    if (!/^[A-Za-z0-9_]{1,64}$/.test(k)) throw badRequest(`Invalid stage variable name "${k}": use letters, digits and '_'.`);
    if (!/^[A-Za-z0-9\-._~:/?#&=,]{1,2048}$/.test(v)) throw badRequest(`Invalid value for stage variable "${k}": allowed characters are A-Za-z0-9-._~:/?#&=,`);
  }
}

function validateAccessLog(settings: { destinationArn?: string; format?: string } | undefined): void {
  if (!settings) return;
  if (settings.destinationArn !== undefined && !/^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9_\-/.#]+(:\*)?$/.test(settings.destinationArn)) {
    throw badRequest(`Invalid destinationArn "${settings.destinationArn}": must be a CloudWatch Logs log group ARN.`);
  }
  if (settings.format !== undefined) {
    if (!settings.format.includes('$context.requestId')) throw badRequest('The access log format must contain $context.requestId.');
    if (Buffer.byteLength(settings.format) > 3072) throw badRequest('The access log format must be at most 3 KB.');
  }
}

export function omitUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function lambdaFunctionOfUri(uri: string): string {
  return LAMBDA_INVOKE_URI.exec(uri)?.[1] ?? uri;
}
