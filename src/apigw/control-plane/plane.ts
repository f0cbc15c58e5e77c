import type { ApigwMetadata } from '../../state/apigw-metadata.ts';
import type { LambdaAnswer } from '../authorizers/lambda.ts';
import type { AuthorizerResultCache } from '../authorizers/result-cache.ts';
import { Apis } from './apis.ts';
import { Authorizers } from './authorizers.ts';
import { Integrations } from './integrations.ts';
import { Routes } from './routes.ts';
import { Stages } from './stages.ts';

/**
 * The management operations of HTTP APIs, on top of the metadata store, one object per resource type. Every write
 * that changes routes, integrations, authorizers or CORS redeploys auto-deploy stages.
 */
export class ApigwControlPlane {
  readonly apis: Apis;
  readonly integrations: Integrations;
  readonly routes: Routes;
  readonly stages: Stages;
  readonly authorizers: Authorizers;

  constructor(
    readonly store: ApigwMetadata,
    readonly accountId: string,
    readonly region: string,
    /** The data plane's Lambda authorizer results, which ResetAuthorizersCache empties. */
    authorizerResults?: AuthorizerResultCache<LambdaAnswer>,
  ) {
    this.apis = new Apis(this);
    this.integrations = new Integrations(this);
    this.routes = new Routes(this);
    this.stages = new Stages(this);
    this.authorizers = new Authorizers(this, authorizerResults);
  }
}
