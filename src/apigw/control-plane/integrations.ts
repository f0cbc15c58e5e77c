import type { z } from 'zod';
import { badRequest, conflict, notFound } from '../errors.ts';
import { resourceId } from '../ids.ts';
import { omitUndefined, type Integration } from '../model.ts';
import type { createIntegrationSchema, updateIntegrationSchema } from '../requests.ts';
import { PageTokens } from '../../protocols/pagination.ts';
import { readPage, type ListPage, type PageRequest } from './pages.ts';
import type { ApigwControlPlane } from './plane.ts';
import { validateIntegration } from './validators.ts';

type CreateIntegration = z.infer<typeof createIntegrationSchema>;
type UpdateIntegration = z.infer<typeof updateIntegrationSchema>;

const PAGES = new PageTokens('integrations');
const MAX_INTEGRATIONS = 300;

/** The integrations of an API (AWS_PROXY to Lambda, HTTP_PROXY). */
export class Integrations {
  constructor(private readonly plane: ApigwControlPlane) {}

  create(apiId: string, input: CreateIntegration, managed = false): Integration {
    this.plane.apis.get(apiId);
    if (this.plane.store.listChildren('integrations', apiId).length >= MAX_INTEGRATIONS) {
      throw badRequest(`An API can have at most ${MAX_INTEGRATIONS} integrations.`);
    }
    const integration = validateIntegration({
      integrationId: resourceId(7),
      ...input,
      ...(managed ? { apiGatewayManaged: true } : {}),
    });
    this.checkVpcLink(integration);
    this.plane.store.transaction(() => {
      this.plane.store.putIntegration(apiId, integration.integrationId, integration);
      this.plane.stages.autoDeploy(apiId);
    });
    return integration;
  }

  get(apiId: string, integrationId: string): Integration {
    this.plane.apis.get(apiId);
    const integration = this.plane.store.getChild('integrations', apiId, integrationId);
    if (!integration) throw notFound(`Invalid Integration identifier specified ${integrationId}`, 'Integration');
    return integration;
  }

  list(apiId: string): Integration[] {
    this.plane.apis.get(apiId);
    return this.plane.store.listChildren('integrations', apiId);
  }

  page(apiId: string, request: PageRequest): ListPage<Integration> {
    this.plane.apis.get(apiId);
    return readPage(PAGES, request, (max, after) =>
      this.plane.store.listChildrenPage('integrations', apiId, max, after),
    );
  }

  update(apiId: string, integrationId: string, input: UpdateIntegration): Integration {
    const current = this.get(apiId, integrationId);
    const integration = validateIntegration({ ...current, ...omitUndefined(input) });
    this.checkVpcLink(integration);
    this.plane.store.transaction(() => {
      this.plane.store.putIntegration(apiId, integrationId, integration);
      this.plane.stages.autoDeploy(apiId);
    });
    return integration;
  }

  private checkVpcLink(integration: Integration): void {
    if (integration.connectionType !== 'VPC_LINK') return;
    if (!this.plane.store.getTop('vpcLinks', integration.connectionId!)) {
      throw badRequest(`Invalid VpcLink identifier specified ${integration.connectionId}`);
    }
  }

  delete(apiId: string, integrationId: string): void {
    this.get(apiId, integrationId);
    const users = this.plane.store
      .listChildren('routes', apiId)
      .filter((r) => r.target === `integrations/${integrationId}`);
    if (users.length > 0) {
      // Unconfirmed on AWS; refusing keeps routes from pointing at nothing.
      throw conflict(
        `Integration ${integrationId} is still the target of route(s) ${users.map((r) => r.routeKey).join(', ')}; delete or retarget them first.`,
      );
    }
    this.plane.store.transaction(() => {
      this.plane.store.deleteChild('integrations', apiId, integrationId);
      this.plane.stages.autoDeploy(apiId);
    });
  }
}
