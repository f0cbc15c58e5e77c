import YAML from 'yaml';
import type { z } from 'zod';
import type { ApigwControlPlane } from './control-plane/plane.ts';
import { badRequest } from './errors.ts';
import {
  omitUndefined,
  type Api,
  type CorsConfiguration,
  type DeploymentSnapshot,
  type Integration,
  type Route,
} from './model.ts';
import {
  operationSecurityOf,
  plannedAuthorizers,
  routeSecurityOf,
  securitySchemesOf,
  type RouteSecurity,
} from './openapi-authorizers.ts';
import { asDoc, type Doc } from './openapi-doc.ts';
import { corsSchema, createIntegrationSchema, parseValue } from './requests.ts';
import { parseRouteKey } from './routes.ts';

/** OpenAPI 3.0 import/export with the `x-amazon-apigateway-*` extensions HTTP APIs use. */

export interface ImportOptions {
  basepath: 'ignore' | 'prepend' | 'split';
  failOnWarnings: boolean;
}

type PlannedIntegration = z.infer<typeof createIntegrationSchema>;

const OPERATIONS: Record<string, string> = {
  get: 'GET',
  post: 'POST',
  put: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  head: 'HEAD',
  options: 'OPTIONS',
  'x-amazon-apigateway-any-method': 'ANY',
};

/** ImportApi (no `apiId`) or ReimportApi: all or nothing, in one transaction. */
export function importOpenApi(plane: ApigwControlPlane, text: string, options: ImportOptions, apiId?: string): Api {
  const doc = parseDocument(text, plane.accountId, plane.region);
  const warnings: string[] = [];
  const cors = doc['x-amazon-apigateway-cors'] ? corsOf(doc['x-amazon-apigateway-cors']) : undefined;
  const basePath = basePathOf(doc, options.basepath);
  const planned = plannedRoutes(doc, basePath, warnings);
  const authorizers = plannedAuthorizers(doc);
  if (options.failOnWarnings && warnings.length > 0)
    throw badRequest(`Warnings found during import:\n\t${warnings.join('\n\t')}`);

  return plane.store.transaction(() => {
    let api: Api;
    const info = asDoc(doc.info) ?? {};
    const description = typeof info.description === 'string' ? info.description : undefined;
    if (apiId) {
      plane.apis.get(apiId);
      for (const r of plane.routes.list(apiId)) plane.routes.delete(apiId, r.routeId);
      for (const i of plane.integrations.list(apiId)) plane.integrations.delete(apiId, i.integrationId);
      for (const a of plane.authorizers.list(apiId)) plane.authorizers.delete(apiId, a.authorizerId);
      api = plane.apis.update(
        apiId,
        omitUndefined({
          name: String(info.title),
          version: stringOf(info.version),
          description,
          corsConfiguration: cors,
        }),
      );
    } else {
      api = plane.apis.create(
        omitUndefined({
          name: String(info.title),
          protocolType: 'HTTP',
          version: stringOf(info.version),
          description,
          corsConfiguration: cors,
        }),
      );
    }
    const authorizerIds = new Map<string, string>();
    for (const a of authorizers) authorizerIds.set(a.name, plane.authorizers.create(api.apiId, a).authorizerId);
    const shared = new Map<string, string>();
    for (const p of planned) {
      let integrationId = p.ref ? shared.get(p.ref) : undefined;
      if (!integrationId && p.integration) {
        integrationId = plane.integrations.create(api.apiId, p.integration).integrationId;
        if (p.ref) shared.set(p.ref, integrationId);
      }
      const { authorizerName, ...security } = p.security;
      const authorizerId = authorizerName === undefined ? undefined : authorizerIds.get(authorizerName);
      plane.routes.create(api.apiId, {
        routeKey: p.routeKey,
        target: integrationId ? `integrations/${integrationId}` : undefined,
        ...security,
        authorizerId,
      });
    }
    const stored = plane.apis.get(api.apiId);
    return warnings.length > 0 ? { ...stored, warnings } : stored;
  });
}

function parseDocument(text: string, accountId: string, region: string): Doc {
  const resolved = text
    .replaceAll('${AWS::AccountId}', accountId)
    .replaceAll('${AWS::Region}', region)
    .replaceAll('${AWS::Partition}', 'aws');
  let doc: unknown;
  try {
    doc = YAML.parse(resolved);
  } catch (err) {
    throw badRequest(
      `The OpenAPI document is neither valid JSON nor valid YAML: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  if (!doc || typeof doc !== 'object') throw badRequest('The OpenAPI document must be an object.');
  const d = doc as Doc; // an array too, as before: it has no `openapi` member and is refused below
  if (d.swagger !== undefined)
    throw badRequest('Only OpenAPI 3.0 documents can be imported into an HTTP API; Swagger 2.0 is not supported.');
  if (typeof d.openapi !== 'string' || !d.openapi.startsWith('3.0'))
    throw badRequest(`Unsupported OpenAPI version ${JSON.stringify(d.openapi)}: use 3.0.x.`);
  if (!asDoc(d.info)?.title) throw badRequest('The OpenAPI document needs info.title (it becomes the API name).');
  const ie = d['x-amazon-apigateway-importexport-version'];
  if (ie !== undefined && stringOf(ie) !== '1.0')
    throw badRequest(`Unsupported x-amazon-apigateway-importexport-version ${textOf(ie)}: only 1.0.`);
  return d;
}

/** A scalar of the document as a string (OpenAPI versions are often written as numbers); anything else is absent. */
function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** Any value of the document as text for a message: a scalar as it reads, anything else as JSON. */
function textOf(v: unknown): string {
  return stringOf(v) ?? JSON.stringify(v);
}

function corsOf(x: unknown): CorsConfiguration {
  return omitUndefined(parseValue(corsSchema, x, 'x-amazon-apigateway-cors'));
}

function basePathOf(doc: Doc, mode: ImportOptions['basepath']): string {
  if (mode === 'ignore') return '';
  const server = asDoc(Array.isArray(doc.servers) ? doc.servers[0] : undefined);
  const basePathDefault = asDoc(asDoc(server?.variables)?.basePath)?.default;
  let base = typeof basePathDefault === 'string' ? basePathDefault : '';
  if (!base && typeof server?.url === 'string') {
    try {
      base = new URL(server.url.replace(/\{[^}]+\}/g, ''), 'http://placeholder').pathname;
    } catch {
      base = '';
    }
  }
  base = base.replace(/\/+$/, '');
  if (base && !base.startsWith('/')) base = `/${base}`;
  if (mode === 'split') base = base.split('/').slice(2).join('/') ? `/${base.split('/').slice(2).join('/')}` : '';
  return base;
}

interface PlannedRoute {
  routeKey: string;
  security: RouteSecurity;
  integration?: PlannedIntegration;
  ref?: string;
}

function plannedRoutes(doc: Doc, basePath: string, warnings: string[]): PlannedRoute[] {
  const planned: PlannedRoute[] = [];
  for (const [path, item] of Object.entries(asDoc(doc.paths) ?? {})) {
    for (const [op, method] of Object.entries(OPERATIONS)) {
      const operation: unknown = asDoc(item)?.[op];
      if (!operation) continue;
      const operationDoc = asDoc(operation) ?? {};
      const routeKey =
        path === '/$default' ? '$default' : `${method} ${basePath}${path === '/' && basePath ? '' : path}`;
      let x = operationDoc['x-amazon-apigateway-integration'];
      let ref: string | undefined;
      const $ref = asDoc(x)?.$ref;
      if ($ref) {
        ref = textOf($ref);
        const name = ref.replace('#/components/x-amazon-apigateway-integrations/', '');
        x = asDoc(asDoc(doc.components)?.['x-amazon-apigateway-integrations'])?.[name];
        if (!x) throw badRequest(`Unresolved integration reference ${ref} on ${routeKey}.`);
      }
      planned.push({
        routeKey,
        ref,
        security: routeSecurityOf(doc, operationDoc, routeKey),
        integration: x ? integrationOf(asDoc(x) ?? {}, routeKey, warnings) : undefined,
      });
    }
  }
  return planned;
}

/** The integration an `x-amazon-apigateway-integration` describes, its members checked as CreateIntegration's. */
function integrationOf(x: Doc, routeKey: string, warnings: string[]): PlannedIntegration {
  const type = (stringOf(x.type) ?? '').toUpperCase();
  if (type === 'AWS' || type === 'HTTP')
    warnings.push(
      `Unsupported integration type '${textOf(x.type)}' on ${routeKey}: HTTP APIs support only proxy integrations; imported as ${type}_PROXY.`,
    );
  const pfv = x.payloadFormatVersion === undefined ? undefined : Number(x.payloadFormatVersion).toFixed(1);
  const draft = omitUndefined({
    integrationType: type === 'AWS' ? 'AWS_PROXY' : type === 'HTTP' ? 'HTTP_PROXY' : type,
    integrationUri: x.uri,
    integrationMethod: x.httpMethod,
    payloadFormatVersion: pfv,
    timeoutInMillis: x.timeoutInMillis === undefined ? undefined : Number(x.timeoutInMillis),
    connectionType: x.connectionType,
    connectionId: x.connectionId,
    credentialsArn: x.credentials,
    integrationSubtype: x.integrationSubtype,
    requestParameters: x.requestParameters,
    responseParameters: x.responseParameters,
    tlsConfig: x.tlsConfig,
  });
  return parseValue(createIntegrationSchema, draft, `the integration of ${routeKey}`);
}

export interface ExportOptions {
  outputType: 'JSON' | 'YAML';
  includeExtensions: boolean;
  stageName?: string;
  endpoint: string;
}

/** ExportApi: the API (or what `stageName` serves) as an OpenAPI 3.0 document. */
export function exportOpenApi(plane: ApigwControlPlane, apiId: string, options: ExportOptions): string {
  const api = plane.apis.get(apiId);
  let state: DeploymentSnapshot = {
    routes: plane.routes.list(apiId),
    integrations: plane.integrations.list(apiId),
    authorizers: plane.authorizers.list(apiId),
    corsConfiguration: api.corsConfiguration,
  };
  if (options.stageName) {
    const stage = plane.stages.get(apiId, options.stageName);
    if (!stage.deploymentId) throw badRequest(`Stage ${options.stageName} has no deployment to export.`);
    state = plane.store.getDeploymentSnapshot(apiId, stage.deploymentId)!;
  }
  const integrations = new Map(state.integrations.map((i) => [i.integrationId, i]));
  const authorizers = new Map((state.authorizers ?? []).map((a) => [a.authorizerId, a]));
  const paths: Record<string, Doc> = {};
  for (const route of state.routes) {
    const { path, op, parameters } = openApiPlaceOf(route);
    const operation: Doc = { responses: { default: { description: `Default response for ${route.routeKey}` } } };
    if (parameters.length) operation.parameters = parameters;
    const security = operationSecurityOf(route, authorizers);
    if (security) operation.security = security;
    const integration = route.target ? integrations.get(route.target.replace('integrations/', '')) : undefined;
    if (options.includeExtensions && integration)
      operation['x-amazon-apigateway-integration'] = integrationExtension(integration);
    (paths[path] ??= {})[op] = operation;
  }
  const doc: Doc = {
    openapi: '3.0.1',
    info: omitUndefined({ title: api.name, version: api.version ?? api.createdDate, description: api.description }),
    servers: [
      {
        url: `${options.endpoint}/{basePath}`,
        variables: {
          basePath: { default: options.stageName && options.stageName !== '$default' ? options.stageName : '' },
        },
      },
    ],
    paths,
  };
  const securitySchemes = securitySchemesOf([...authorizers.values()], state.routes, options.includeExtensions);
  if (securitySchemes) doc.components = { securitySchemes };
  if (options.includeExtensions) {
    if (state.corsConfiguration) doc['x-amazon-apigateway-cors'] = state.corsConfiguration;
    doc['x-amazon-apigateway-importexport-version'] = '1.0';
  }
  return options.outputType === 'JSON' ? JSON.stringify(doc) : YAML.stringify(doc);
}

function openApiPlaceOf(route: Route): { path: string; op: string; parameters: Doc[] } {
  const parsed = parseRouteKey(route.routeKey);
  if (parsed.key === '$default') return { path: '/$default', op: 'x-amazon-apigateway-any-method', parameters: [] };
  const p = parsed as Extract<typeof parsed, { method: string }>;
  const op = p.method === 'ANY' ? 'x-amazon-apigateway-any-method' : p.method.toLowerCase();
  const parameters = p.segments
    .filter((s) => s.kind !== 'literal')
    .map((s) => ({
      name: (s as { name: string }).name + (s.kind === 'greedy' ? '+' : ''),
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
  return { path: p.path, op, parameters };
}

function integrationExtension(i: Integration): Doc {
  return omitUndefined({
    payloadFormatVersion: i.payloadFormatVersion,
    type: i.integrationType.toLowerCase(),
    httpMethod: i.integrationMethod,
    uri: i.integrationUri,
    connectionType: i.connectionType,
    timeoutInMillis: i.timeoutInMillis,
    requestParameters: i.requestParameters,
    responseParameters: i.responseParameters,
  });
}
