import type { ServerResponse } from 'node:http';
import type { Logger } from '../config/logger.ts';
import { AwsError } from '../protocols/aws-error.ts';
import { hasBody, readBody } from '../protocols/body.ts';
import type { EdgeRequest, EdgeService } from '../edge/types.ts';
import { invokeWithin, type LambdaInvoker } from '../lambda/invoker.ts';
import type { ApigwMetadata } from '../state/apigw-metadata.ts';
import { CustomDomainRoutes } from './custom-domains.ts';
import type { EdgeCredentials } from '../state/credentials.ts';
import { AccessLogFiles, renderAccessLog, type RequestOutcome } from './access-log.ts';
import type { LambdaAnswer } from './authorizers/lambda.ts';
import type { AuthorizerResultCache } from './authorizers/result-cache.ts';
import { RouteAuthorizers } from './authorizers/route-authorizers.ts';
import type { AuthorizerFailure, RouteAuthorizer } from './authorizers/types.ts';
import { lambdaFunctionOfUri } from './control-plane/validators.ts';
import { isPreflight, preflightHeaders, responseCorsHeaders } from '../protocols/cors.ts';
import { GATEWAY_ERRORS, type GatewayError } from './errors.ts';
import { HttpProxy, MAX_PAYLOAD } from './http-proxy.ts';
import { gatewayRequestId } from './ids.ts';
import { eventV1, eventV2 } from './lambda-payloads.ts';
import {
  BadLambdaResponse,
  newTraceId,
  peerAddress,
  responseV1,
  responseV2,
  type ProxyResponse,
} from '../protocols/http-payload.ts';
import type { Api, Authorizer, CorsConfiguration, Integration, Route, RouteSettings, Stage } from './model.ts';
import type { GatewayRequest } from './request-context.ts';
import { RouteTable } from './routes.ts';
import { Throttle } from './throttle.ts';
import { decodeUriOrKeep } from '../protocols/uri.ts';

const EXECUTE_API_HOST = /^([a-z0-9]+)\.execute-api\.localhost(?::\d+)?$/;
const EXECUTE_API_PATH = '/_aws/execute-api/';
const NO_PERMISSION = 'Execution failed due to configuration error: Invalid permissions on Lambda function';
const NO_BODY = Buffer.alloc(0);
const SURELY_SMALL_BODY = 4 * 1024 * 1024;
/** With a CORS configuration the gateway's CORS headers replace the backend's. */
const dropCorsHeader = (name: string) => name.startsWith('access-control-');
const keepHeader = () => false;

/** A deployed route with its integration and its authorization step, if it has an authorizer. */
interface ServedRoute {
  route: Route;
  integration?: Integration;
  authorize?: RouteAuthorizer;
}

interface ServedStage {
  stage: Stage;
  routes: RouteTable<ServedRoute>;
  cors?: CorsConfiguration;
  /** Some route of the stage has a throttling limit: only then is a bucket consulted. */
  throttled: boolean;
}

/** Which API and stage a request addresses. */
interface RequestAddress {
  apiId: string;
  /** The path after the API id, or after the API mapping key on a custom domain. */
  rest: string;
  /** The stage an API mapping names (none: the path's first segment chooses it). */
  stage?: string;
  /** The custom domain name the request came to, and the whole path it sent there. */
  domainName?: string;
  fullPath?: string;
}

interface ServedApi {
  api: Api;
  stages: Map<string, ServedStage>;
  domainName: string;
}

/**
 * The data plane of every HTTP API (`execute-api`): stage selection, CORS preflight, route selection,
 * throttling, then the AWS_PROXY (Lambda) or HTTP_PROXY integration, CORS headers and the access log.
 */
export class ApigwDataPlane implements EdgeService {
  readonly name = 'execute-api';
  readonly bufferBody = false;
  private readonly proxy = new HttpProxy();
  private readonly throttle = new Throttle();
  private readonly accessLogs: AccessLogFiles;
  private readonly authorizers: RouteAuthorizers;
  private cache = new Map<string, ServedApi | null>();
  private cacheGeneration = -1;
  private readonly customDomains: CustomDomainRoutes;

  constructor(
    private readonly store: ApigwMetadata,
    private readonly lambda: LambdaInvoker,
    private readonly settings: { region: string; accountId: string; dataDir: string; credentials: EdgeCredentials },
    private readonly logger: Logger,
    authorizerResults: AuthorizerResultCache<LambdaAnswer>,
  ) {
    this.accessLogs = new AccessLogFiles(settings.dataDir);
    const { region, accountId } = settings;
    this.authorizers = new RouteAuthorizers({
      lambda: {
        region,
        accountId,
        invoker: lambda,
        cache: authorizerResults,
        functionOfUri: lambdaFunctionOfUri,
        warn: (detail, message) => logger.warn(detail, message),
      },
      iam: { credentials: settings.credentials, region, accountId },
    });
    this.customDomains = new CustomDomainRoutes(store);
  }

  /**
   * API data planes are addressed by host (`{apiId}.execute-api.localhost`), by path (`/_aws/execute-api/{apiId}`)
   * or by a custom domain name (its API mappings choose the API and stage).
   */
  claims(host: string, rawPath: string): boolean {
    return rawPath.startsWith(EXECUTE_API_PATH) || EXECUTE_API_HOST.test(host) || this.customDomains.has(host);
  }

  async handle(request: EdgeRequest): Promise<void> {
    const { startedAt } = request;
    const requestId = gatewayRequestId();
    const { res, req } = request;
    const address = this.address(request);
    const served = address && this.served(address.apiId);
    if (!address || !served) return void this.sendGatewayError(res, requestId, 'notFound');

    // Stage: the API mapping's on a custom domain, else the first path segment when it names a stage, else `$default`.
    const rest = address.rest;
    let stageName = address.stage ?? '$default';
    let path = rest;
    if (address.stage === undefined) {
      const firstEnd = rest.indexOf('/', 1);
      const first = decodeUriOrKeep(firstEnd === -1 ? rest.slice(1) : rest.slice(1, firstEnd));
      if (first !== '$default' && served.stages.has(first)) {
        stageName = first;
        path = firstEnd === -1 ? '/' : rest.slice(firstEnd);
      }
    }
    const stage = served.stages.get(stageName);
    if (!stage) return void this.sendGatewayError(res, requestId, 'notFound');

    const decodedPath = decodeUriOrKeep(path);
    const match = stage.routes.match(request.method, decodedPath);
    const g: GatewayRequest = {
      req,
      requestId,
      accountId: this.settings.accountId,
      apiId: address.apiId,
      stageName,
      stageVariables: stage.stage.stageVariables,
      routeKey: match?.routeKey ?? '-',
      pathParameters: match?.pathParameters,
      method: request.method,
      path: decodedPath,
      fullPath: decodeUriOrKeep(address.fullPath ?? address.rest),
      rawQuery: request.rawQuery,
      sourceIp: peerAddress(req),
      userAgent: req.headers['user-agent'] ?? '',
      domainName: address.domainName ?? served.domainName,
      domainPrefix: address.domainName ? address.domainName.slice(0, address.domainName.indexOf('.')) : address.apiId,
      localPort: req.socket.localPort ?? 0,
      traceId: newTraceId(startedAt),
      startedAt,
    };

    const outcome = await this.serveOnStage(g, stage, match?.route, res);
    this.writeAccessLog(stage.stage, g, outcome);
  }

  private async serveOnStage(
    g: GatewayRequest,
    stage: ServedStage,
    served: ServedRoute | undefined,
    res: ServerResponse,
  ): Promise<RequestOutcome> {
    const req = g.req;
    if (stage.cors && isPreflight(g.method, req.headers)) {
      // A preflight that reaches a route with an authorizer ($default, ANY) is authorized like any request: AWS's
      // documented pitfall, avoided with an OPTIONS route that has none (unconfirmed: only when no route matches would
      // the gateway answer without authorizing).
      if (served?.authorize) {
        const decision = await served.authorize(g);
        if (decision.failure) return this.refuse(res, g, stage, decision.failure);
      }
      res.writeHead(204, { ...preflightHeaders(stage.cors, req.headers), 'apigw-requestid': g.requestId });
      res.end();
      return { status: 204, length: 0 };
    }
    const route = served?.route;
    const integration = served?.integration;
    if (!route || !integration) return this.fail(res, g, 'notFound');
    if (served.authorize) {
      const decision = await served.authorize(g);
      if (decision.failure) return this.refuse(res, g, stage, decision.failure);
      g.authorizer = decision.context;
    }
    if (stage.throttled && !this.allowedByThrottle(g, stage.stage)) return this.fail(res, g, 'tooMany');
    if (Number(req.headers['content-length'] ?? 0) > MAX_PAYLOAD) return this.fail(res, g, 'tooLarge');

    const cors = stage.cors ? responseCorsHeaders(stage.cors, req.headers) : {};
    const dropHeader = stage.cors ? dropCorsHeader : keepHeader;
    const uri = withStageVariables(integration.integrationUri ?? '', g.stageVariables);
    const integrationStart = Date.now();
    if (integration.integrationType === 'HTTP_PROXY') {
      const extraHeaders = stage.cors
        ? [...Object.entries(cors).flat(), 'apigw-requestid', g.requestId]
        : ['apigw-requestid', g.requestId];
      if (integration.connectionType === 'VPC_LINK') {
        const link = integration.connectionId;
        const detail = { requestId: g.requestId, apiId: g.apiId, vpcLinkId: link, uri };
        this.logger.info(detail, `HTTP_PROXY through VPC link ${link}: relayed locally to ${uri}`);
      }
      const result = await this.proxy.forward(g, integration, uri, res, extraHeaders, dropHeader);
      const integrationLatency = Date.now() - integrationStart;
      if (result.kind === 'failed') {
        this.logger.warn(
          { requestId: g.requestId, apiId: g.apiId, routeKey: g.routeKey, reason: result.message },
          'HTTP_PROXY integration failed',
        );
        return { ...this.fail(res, g, result.error), integrationError: result.message, integrationLatency };
      }
      return { status: result.status, length: result.length, integrationStatus: result.status, integrationLatency };
    }

    let body: Buffer = g.body ?? NO_BODY;
    try {
      if (g.body === undefined && hasBody(req)) body = await readBody(req, MAX_PAYLOAD);
    } catch (err) {
      if (err instanceof AwsError && err.status === 413) return this.fail(res, g, 'tooLarge');
      throw err;
    }
    const lambda = await this.callLambda(g, integration, route, uri, body);
    const integrationLatency = Date.now() - integrationStart;
    if ('error' in lambda) {
      this.logger.warn(
        { requestId: g.requestId, apiId: g.apiId, routeKey: g.routeKey, reason: lambda.message },
        'AWS_PROXY integration failed',
      );
      return {
        ...this.fail(res, g, lambda.error),
        integrationError: lambda.message,
        integrationStatus: lambda.integrationStatus,
        integrationLatency,
      };
    }
    const headers: string[] = [];
    for (const [name, value] of lambda.response.headers) {
      const lower = name.toLowerCase();
      if (lower !== 'content-length' && !dropHeader(lower)) headers.push(name, value);
    }
    for (const name in cors) headers.push(name, cors[name]);
    headers.push('apigw-requestid', g.requestId, 'content-length', String(lambda.response.body.length));
    res.writeHead(lambda.response.statusCode, headers);
    res.end(lambda.response.body);
    return {
      status: lambda.response.statusCode,
      length: lambda.response.body.length,
      integrationStatus: 200,
      integrationLatency,
    };
  }

  private async callLambda(
    g: GatewayRequest,
    integration: Integration,
    route: Route,
    uri: string,
    body: Buffer,
  ): Promise<{ response: ProxyResponse } | { error: GatewayError; message: string; integrationStatus?: number }> {
    const fn = lambdaFunctionOfUri(uri);
    const invoker = this.lambda;
    const routePath =
      route.routeKey === '$default'
        ? '$default'
        : `${g.method}${route.routeKey.slice(route.routeKey.indexOf(' ') + 1)}`;
    const sourceArn = `arn:aws:execute-api:${this.settings.region}:${this.settings.accountId}:${g.apiId}/${g.stageName}/${routePath}`;
    if (!invoker.isInvokeAllowed(fn, 'apigateway.amazonaws.com', sourceArn)) {
      this.logger.warn(
        { function: fn, sourceArn },
        `no resource-policy statement lets apigateway.amazonaws.com invoke ${fn} from ${sourceArn}; add one with 'aws lambda add-permission'`,
      );
      return { error: 'internal', message: NO_PERMISSION };
    }
    const event =
      integration.payloadFormatVersion === '2.0'
        ? eventV2(g, body)
        : eventV1(
            g,
            body,
            route.routeKey === '$default' ? '$default' : route.routeKey.slice(route.routeKey.indexOf(' ') + 1),
          );
    try {
      // Up to 4 MiB of body (base64: under 5.6 MB) the event is surely under Lambda's 6 MB limit: it goes as an object,
      // with no JSON text made here. A larger one goes as text, which the Lambda service measures.
      const payload = body.length <= SURELY_SMALL_BODY ? event : JSON.stringify(event);
      const result = await invokeWithin(invoker, fn, payload, integration.timeoutInMillis);
      if (result === 'timeout')
        return { error: 'unavailable', message: `Integration timeout after ${integration.timeoutInMillis} ms` };
      if (result.functionError) {
        return {
          error: 'internal',
          message: `The Lambda function returned an error: ${result.payload.slice(0, 500)}`,
          integrationStatus: result.statusCode,
        };
      }
      const response =
        integration.payloadFormatVersion === '2.0' ? responseV2(result.payload) : responseV1(result.payload);
      return { response };
    } catch (err) {
      if (err instanceof BadLambdaResponse) return { error: 'internal', message: err.message, integrationStatus: 200 };
      if (err instanceof AwsError)
        return { error: 'internal', message: `${err.code}: ${err.message}`, integrationStatus: err.status };
      throw err;
    }
  }

  private allowedByThrottle(g: GatewayRequest, stage: Stage): boolean {
    const settings = { ...stage.defaultRouteSettings, ...stage.routeSettings[g.routeKey] };
    if (!hasThrottlingLimit(settings)) return true;
    // An unset half takes the account-level default (10,000 rps, burst 5,000).
    const rate = settings.throttlingRateLimit ?? 10_000;
    const burst = settings.throttlingBurstLimit ?? 5_000;
    return this.throttle.take(`${g.apiId}/${g.stageName}/${g.routeKey}`, rate, burst);
  }

  /** The authorizer's refusal, with the stage's CORS headers so that a browser can read it. */
  private refuse(
    res: ServerResponse,
    g: GatewayRequest,
    stage: ServedStage,
    failure: AuthorizerFailure,
  ): RequestOutcome {
    const body = JSON.stringify({ message: failure.message });
    const headers: Record<string, string> = {
      ...(stage.cors && responseCorsHeaders(stage.cors, g.req.headers)),
      ...failure.headers,
      'content-length': String(Buffer.byteLength(body)),
      'apigw-requestid': g.requestId,
    };
    // API Gateway's 401 from a JWT authorizer has no content-type (the documentation's capture).
    if (failure.status >= 500 || failure.errorType) headers['content-type'] = 'application/json';
    if (failure.errorType) headers['x-amzn-errortype'] = failure.errorType;
    res.writeHead(failure.status, headers);
    res.end(body);
    return {
      status: failure.status,
      length: Buffer.byteLength(body),
      errorMessage: failure.message,
      authorizerError: failure.error,
    };
  }

  private fail(res: ServerResponse, g: GatewayRequest, error: GatewayError): RequestOutcome {
    this.sendGatewayError(res, g.requestId, error);
    return {
      status: GATEWAY_ERRORS[error].status,
      length: GATEWAY_ERRORS[error].body.length,
      errorMessage: (JSON.parse(GATEWAY_ERRORS[error].body) as { message: string }).message,
    };
  }

  private sendGatewayError(res: ServerResponse, requestId: string, error: GatewayError): void {
    const { status, body } = GATEWAY_ERRORS[error];
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(body.length),
      'apigw-requestid': requestId,
    });
    res.end(body);
  }

  /** The data plane is unsigned; an AwsError reaching the edge is answered as the gateway's own 500. */
  sendError(request: EdgeRequest, _error: AwsError): void {
    this.sendGatewayError(request.res, gatewayRequestId(), 'internal');
  }

  private writeAccessLog(stage: Stage, request: GatewayRequest, outcome: RequestOutcome): void {
    const settings = stage.accessLogSettings;
    if (!settings?.destinationArn || !settings.format) return;
    this.accessLogs.write(
      settings.destinationArn,
      renderAccessLog(settings.format, { request, outcome, endedAt: Date.now() }),
    );
  }

  /** Which API a request is for, and the path after the API id (on a custom domain: after the mapping key). */
  private address(request: EdgeRequest): RequestAddress | undefined {
    const host = EXECUTE_API_HOST.exec(request.host);
    if (host) return { apiId: host[1], rest: request.rawPath || '/' };
    const custom = this.customDomains.route(request.host, request.rawPath);
    if (custom !== undefined) return custom === null ? undefined : { ...custom, fullPath: request.rawPath || '/' };
    if (!request.rawPath.startsWith(EXECUTE_API_PATH)) return undefined;
    const after = request.rawPath.slice(EXECUTE_API_PATH.length);
    const slash = after.indexOf('/');
    return slash === -1 ? { apiId: after, rest: '/' } : { apiId: after.slice(0, slash), rest: after.slice(slash) };
  }

  /** The API's deployed stages, compiled once per metadata generation. */
  private served(apiId: string): ServedApi | undefined {
    if (this.cacheGeneration !== this.store.generation) {
      this.cache = new Map();
      this.cacheGeneration = this.store.generation;
    }
    let served = this.cache.get(apiId);
    if (served === undefined) {
      served = this.compile(apiId);
      this.cache.set(apiId, served);
    }
    return served ?? undefined;
  }

  private compile(apiId: string): ServedApi | null {
    const api = this.store.getApi(apiId);
    if (!api || api.disableExecuteApiEndpoint) return null;
    const stages = new Map<string, ServedStage>();
    for (const stage of this.store.listChildren('stages', apiId)) {
      if (!stage.deploymentId) continue;
      const snapshot = this.store.getDeploymentSnapshot(apiId, stage.deploymentId);
      if (!snapshot) continue;
      const authorizers = new Map<string, Authorizer>((snapshot.authorizers ?? []).map((a) => [a.authorizerId, a]));
      const integrations = new Map(snapshot.integrations.map((i) => [i.integrationId, i]));
      stages.set(stage.stageName, {
        stage,
        routes: new RouteTable(
          snapshot.routes.map((route) => ({
            routeKey: route.routeKey,
            route: {
              route,
              integration: integrations.get(route.target?.replace('integrations/', '') ?? ''),
              authorize: this.authorizers.forRoute(route, authorizers),
            },
          })),
        ),
        cors: snapshot.corsConfiguration,
        throttled: [stage.defaultRouteSettings, ...Object.values(stage.routeSettings)].some(hasThrottlingLimit),
      });
    }
    return { api, stages, domainName: `${apiId}.execute-api.localhost` };
  }

  async close(): Promise<void> {
    await this.proxy.close();
    await this.accessLogs.close();
  }
}

function hasThrottlingLimit(settings: RouteSettings): boolean {
  return settings.throttlingRateLimit !== undefined || settings.throttlingBurstLimit !== undefined;
}

function withStageVariables(uri: string, vars: Record<string, string>): string {
  if (!uri.includes('${')) return uri;
  return uri.replace(/\$\{stageVariables\.([A-Za-z0-9_]+)\}/g, (m, name: string) => vars[name] ?? m);
}
