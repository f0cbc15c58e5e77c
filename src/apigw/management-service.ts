import { AwsError } from '../protocols/aws-error.ts';
import { pathParameter, writeRestJsonError } from '../protocols/rest-json.ts';
import type { EdgeEndpoint, EdgeRequest, EdgeService } from '../edge/types.ts';
import type { ApigwControlPlane } from './control-plane.ts';
import { badRequest, notFound } from './errors.ts';
import type { Api } from './model.ts';
import { exportOpenApi, importOpenApi } from './openapi.ts';
import {
  createApiSchema,
  createDeploymentSchema,
  createIntegrationSchema,
  createRouteSchema,
  createStageSchema,
  importApiSchema,
  parseBody,
  updateApiSchema,
  updateIntegrationSchema,
  updateRouteSchema,
  updateStageSchema,
} from './requests.ts';

type Reply = { status: number; body?: unknown; raw?: { contentType: string; data: string } };
type Handler = (r: EdgeRequest, p: string[]) => Reply;

const DEFAULT_PAGE = 25;
const MAX_PAGE = 500;

/** The apigatewayv2 management API (`/v2/...`, rest-json, SigV4 service `apigateway`). */
export class ApigwManagementService implements EdgeService {
  readonly name = 'apigateway';
  readonly bufferBody = true;
  private readonly operations: Array<{ method: string; path: RegExp; handler: Handler }> = [];

  constructor(
    private readonly plane: ApigwControlPlane,
    private readonly edge: EdgeEndpoint,
  ) {
    const p = plane;
    const body = (r: EdgeRequest) => r.body;
    const api = (a: Api) => this.withEndpoint(a);
    this.op('POST', '/v2/apis', (r) => ({ status: 201, body: api(p.createApi(parseBody(createApiSchema, body(r)))) }));
    this.op('GET', '/v2/apis', (r) => {
      const page = p.getApis(pageSize(r), r.query.get('nextToken') ?? undefined);
      return { status: 200, body: { items: page.items.map(api), nextToken: page.nextToken } };
    });
    this.op('PUT', '/v2/apis', (r) => ({ status: 201, body: api(importOpenApi(p, parseBody(importApiSchema, body(r)).body, importOptions(r))) }));
    this.op('GET', '/v2/apis/{id}', (_r, [id]) => ({ status: 200, body: api(p.getApi(id!)) }));
    this.op('PATCH', '/v2/apis/{id}', (r, [id]) => ({ status: 200, body: api(p.updateApi(id!, parseBody(updateApiSchema, body(r)))) }));
    this.op('PUT', '/v2/apis/{id}', (r, [id]) => ({
      status: 201,
      body: api(importOpenApi(p, parseBody(importApiSchema, body(r)).body, importOptions(r), id)),
    }));
    this.op('DELETE', '/v2/apis/{id}', (_r, [id]) => (p.deleteApi(id!), { status: 204 }));
    this.op('DELETE', '/v2/apis/{id}/cors', (_r, [id]) => (p.deleteCorsConfiguration(id!), { status: 204 }));
    this.op('GET', '/v2/apis/{id}/exports/{spec}', (r, [id, spec]) => {
      if (spec !== 'OAS30') throw badRequest(`Unsupported specification ${spec}: only OAS30 is supported.`);
      const outputType = r.query.get('outputType');
      if (outputType !== 'JSON' && outputType !== 'YAML') throw badRequest('outputType must be JSON or YAML.');
      const data = exportOpenApi(p, id!, {
        outputType,
        includeExtensions: r.query.get('includeExtensions') !== 'false',
        stageName: r.query.get('stageName') ?? undefined,
        endpoint: this.endpointOf(id!),
      });
      return { status: 200, raw: { contentType: outputType === 'JSON' ? 'application/json' : 'application/yaml', data } };
    });

    this.op('POST', '/v2/apis/{id}/integrations', (r, [id]) => ({ status: 201, body: p.createIntegration(id!, parseBody(createIntegrationSchema, body(r))) }));
    this.op('GET', '/v2/apis/{id}/integrations', (_r, [id]) => ({ status: 200, body: { items: p.getIntegrations(id!) } }));
    this.op('GET', '/v2/apis/{id}/integrations/{id}', (_r, [id, iid]) => ({ status: 200, body: p.getIntegration(id!, iid!) }));
    this.op('PATCH', '/v2/apis/{id}/integrations/{id}', (r, [id, iid]) => ({
      status: 200,
      body: p.updateIntegration(id!, iid!, parseBody(updateIntegrationSchema, body(r))),
    }));
    this.op('DELETE', '/v2/apis/{id}/integrations/{id}', (_r, [id, iid]) => (p.deleteIntegration(id!, iid!), { status: 204 }));

    this.op('POST', '/v2/apis/{id}/routes', (r, [id]) => ({ status: 201, body: p.createRoute(id!, parseBody(createRouteSchema, body(r))) }));
    this.op('GET', '/v2/apis/{id}/routes', (_r, [id]) => ({ status: 200, body: { items: p.getRoutes(id!) } }));
    this.op('GET', '/v2/apis/{id}/routes/{id}', (_r, [id, rid]) => ({ status: 200, body: p.getRoute(id!, rid!) }));
    this.op('PATCH', '/v2/apis/{id}/routes/{id}', (r, [id, rid]) => ({ status: 200, body: p.updateRoute(id!, rid!, parseBody(updateRouteSchema, body(r))) }));
    this.op('DELETE', '/v2/apis/{id}/routes/{id}', (_r, [id, rid]) => (p.deleteRoute(id!, rid!), { status: 204 }));

    this.op('POST', '/v2/apis/{id}/stages', (r, [id]) => ({ status: 201, body: p.createStage(id!, parseBody(createStageSchema, body(r))) }));
    this.op('GET', '/v2/apis/{id}/stages', (_r, [id]) => ({ status: 200, body: { items: p.getStages(id!) } }));
    this.op('GET', '/v2/apis/{id}/stages/{id}', (_r, [id, s]) => ({ status: 200, body: p.getStage(id!, s!) }));
    this.op('PATCH', '/v2/apis/{id}/stages/{id}', (r, [id, s]) => ({ status: 200, body: p.updateStage(id!, s!, parseBody(updateStageSchema, body(r))) }));
    this.op('DELETE', '/v2/apis/{id}/stages/{id}', (_r, [id, s]) => (p.deleteStage(id!, s!), { status: 204 }));
    this.op('DELETE', '/v2/apis/{id}/stages/{id}/accesslogsettings', (_r, [id, s]) => (p.deleteAccessLogSettings(id!, s!), { status: 204 }));
    this.op('DELETE', '/v2/apis/{id}/stages/{id}/routesettings/{id}', (_r, [id, s, k]) => (p.deleteRouteSettings(id!, s!, k!), { status: 204 }));

    this.op('POST', '/v2/apis/{id}/deployments', (r, [id]) => {
      const input = parseBody(createDeploymentSchema, body(r));
      return { status: 201, body: p.createDeployment(id!, input.stageName, input.description) };
    });
    this.op('GET', '/v2/apis/{id}/deployments', (_r, [id]) => ({ status: 200, body: { items: p.getDeployments(id!) } }));
    this.op('GET', '/v2/apis/{id}/deployments/{id}', (_r, [id, d]) => ({ status: 200, body: p.getDeployment(id!, d!) }));
  }

  /** The data-plane URL of an API on this edge (path form, works with any resolver). */
  endpointOf(apiId: string): string {
    return `${this.edge.publicUrl}/_aws/execute-api/${apiId}`;
  }

  async handle(request: EdgeRequest): Promise<void> {
    const { method, rawPath } = request;
    let pathMatched = false;
    for (const op of this.operations) {
      const m = op.path.exec(rawPath);
      if (!m) continue;
      pathMatched = true;
      if (op.method !== method) continue;
      const params = m.slice(1).map((s) => pathParameter(s, (raw) => badRequest(`Invalid path parameter: ${raw}`)));
      const reply = op.handler(request, params);
      return this.send(request, reply);
    }
    if (pathMatched) throw new AwsError(405, 'MethodNotAllowedException', `Method ${method} is not allowed on ${rawPath}.`);
    throw notFound(`No apigatewayv2 operation matches ${method} ${rawPath}.`);
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    writeRestJsonError(request, error);
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

  private withEndpoint(api: Api): Api & { apiEndpoint: string } {
    return { apiEndpoint: this.endpointOf(api.apiId), ...api };
  }

  private op(method: string, template: string, handler: Handler): void {
    const path = new RegExp(`^${template.replace(/\{id\}/g, '([^/]+)').replace(/\{spec\}/g, '([^/]+)')}$`);
    this.operations.push({ method, path, handler });
  }
}

function pageSize(r: EdgeRequest): number {
  const raw = r.query.get('maxResults');
  if (raw === null) return DEFAULT_PAGE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw badRequest(`Invalid maxResults "${raw}": must be a positive integer.`);
  return Math.min(n, MAX_PAGE);
}

function importOptions(r: EdgeRequest) {
  const basepath = r.query.get('basepath') ?? 'ignore';
  if (!['ignore', 'prepend', 'split'].includes(basepath)) throw badRequest(`Invalid basepath "${basepath}": use ignore, prepend or split.`);
  return { basepath: basepath as 'ignore' | 'prepend' | 'split', failOnWarnings: r.query.get('failOnWarnings') === 'true' };
}
