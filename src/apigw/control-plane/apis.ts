import type { z } from 'zod';
import { badRequest, notFound } from '../errors.ts';
import { isoNow, resourceId } from '../ids.ts';
import { omitUndefined, type Api } from '../model.ts';
import type { createApiSchema, updateApiSchema } from '../requests.ts';
import { PageTokens } from '../../protocols/pagination.ts';
import { readPage, type ListPage, type PageRequest } from './pages.ts';
import type { ApigwControlPlane } from './plane.ts';
import { validateTags } from './tags.ts';
import { validateCors } from './validators.ts';

type CreateApi = z.infer<typeof createApiSchema>;
type UpdateApi = z.infer<typeof updateApiSchema>;

const PAGES = new PageTokens('apis');

/** HTTP APIs: CreateApi (with quick create), GetApi(s), UpdateApi, DeleteApi, DeleteCorsConfiguration. */
export class Apis {
  constructor(private readonly plane: ApigwControlPlane) {}

  create(input: CreateApi, extra: Partial<Api> = {}): Api {
    if (input.protocolType !== 'HTTP') {
      throw badRequest(
        input.protocolType === 'WEBSOCKET'
          ? 'WebSocket APIs are not supported by the local gateway; use protocolType HTTP.'
          : `Invalid protocolType '${input.protocolType}': must be HTTP or WEBSOCKET.`,
      );
    }
    validateCors(input.corsConfiguration);
    validateTags(input.tags ?? {});
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
    this.plane.store.transaction(() => {
      this.plane.store.putApi(api.apiId, api);
      if (input.target) this.quickCreate(api, input);
    });
    return api;
  }

  /** CreateApi with `target`: an integration, a route (`$default` or `routeKey`) and an auto-deployed `$default` stage, all managed. */
  private quickCreate(api: Api, input: CreateApi): void {
    const target = input.target!;
    const isHttp = /^https?:\/\//.test(target);
    const integration = this.plane.integrations.create(
      api.apiId,
      {
        integrationType: isHttp ? 'HTTP_PROXY' : 'AWS_PROXY',
        integrationUri: target,
        integrationMethod: isHttp ? 'ANY' : 'POST',
        payloadFormatVersion: isHttp ? '1.0' : '2.0',
        credentialsArn: input.credentialsArn,
      },
      true,
    );
    this.plane.routes.create(
      api.apiId,
      { routeKey: input.routeKey ?? '$default', target: `integrations/${integration.integrationId}` },
      true,
    );
    this.plane.stages.create(api.apiId, { stageName: '$default', autoDeploy: true }, true);
  }

  get(apiId: string): Api {
    const api = this.plane.store.getApi(apiId);
    if (!api) throw notFound(`Invalid API identifier specified ${this.plane.accountId}:${apiId}`, 'Api');
    return api;
  }

  list(request: PageRequest): ListPage<Api> {
    return readPage(PAGES, request, (max, after) => this.plane.store.listApis(max, after));
  }

  update(apiId: string, input: UpdateApi): Api {
    const api = this.get(apiId);
    if (input.corsConfiguration) validateCors(input.corsConfiguration);
    const { routeKey: _r, target: _t, credentialsArn: _c, routeSelectionExpression: _s, ...changes } = input;
    const updated = omitUndefined({ ...api, ...changes });
    this.plane.store.transaction(() => {
      this.plane.store.putApi(apiId, updated);
      if (input.corsConfiguration !== undefined) this.plane.stages.autoDeploy(apiId);
    });
    return updated;
  }

  delete(apiId: string): void {
    this.get(apiId);
    if (this.plane.store.hasApiMappings(apiId)) {
      throw badRequest(
        `Deleting API ${apiId} failed. Please remove all API mappings for the API from your custom domain names.`,
      );
    }
    this.plane.store.deleteApi(apiId);
  }

  deleteCorsConfiguration(apiId: string): void {
    const { corsConfiguration: _gone, ...api } = this.get(apiId);
    this.plane.store.transaction(() => {
      this.plane.store.putApi(apiId, api);
      this.plane.stages.autoDeploy(apiId);
    });
  }
}
