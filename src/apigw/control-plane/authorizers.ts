import type { z } from 'zod';
import type { LambdaAnswer } from '../authorizers/lambda.ts';
import { identityReader, isJwtIdentitySource } from '../authorizers/identity-source.ts';
import type { AuthorizerResultCache } from '../authorizers/result-cache.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { resourceId } from '../ids.ts';
import { omitUndefined, type Authorizer } from '../model.ts';
import type { createAuthorizerSchema, updateAuthorizerSchema } from '../requests.ts';
import { PageTokens } from '../../protocols/pagination.ts';
import { readPage, type ListPage, type PageRequest } from './pages.ts';
import type { ApigwControlPlane } from './plane.ts';
import { lambdaFunctionOfUri } from './validators.ts';

type CreateAuthorizer = z.infer<typeof createAuthorizerSchema>;
type UpdateAuthorizer = z.infer<typeof updateAuthorizerSchema>;

/** API Gateway's quotas: authorizers per API, audiences per JWT authorizer. */
const MAX_AUTHORIZERS = 10;
const MAX_AUDIENCES = 50;
const PAGES = new PageTokens('authorizers');

/** The JWT and Lambda (`REQUEST`) authorizers of an API. Writes redeploy auto-deploy stages. */
export class Authorizers {
  constructor(
    private readonly plane: ApigwControlPlane,
    private readonly results?: AuthorizerResultCache<LambdaAnswer>,
  ) {}

  create(apiId: string, input: CreateAuthorizer): Authorizer {
    this.plane.apis.get(apiId);
    const existing = this.plane.store.listChildren('authorizers', apiId);
    // Unconfirmed message; the quota is AWS's (adjustable there, fixed here).
    if (existing.length >= MAX_AUTHORIZERS) throw badRequest(`An API can have at most ${MAX_AUTHORIZERS} authorizers.`);
    const authorizer = validateAuthorizer({ authorizerId: resourceId(6), ...input });
    this.write(apiId, authorizer);
    return authorizer;
  }

  get(apiId: string, authorizerId: string): Authorizer {
    this.plane.apis.get(apiId);
    const authorizer = this.plane.store.getChild('authorizers', apiId, authorizerId);
    if (!authorizer) throw notFound(`Invalid Authorizer identifier specified ${authorizerId}`, 'Authorizer');
    return authorizer;
  }

  list(apiId: string): Authorizer[] {
    this.plane.apis.get(apiId);
    return this.plane.store.listChildren('authorizers', apiId);
  }

  page(apiId: string, request: PageRequest): ListPage<Authorizer> {
    this.plane.apis.get(apiId);
    return readPage(PAGES, request, (max, after) =>
      this.plane.store.listChildrenPage('authorizers', apiId, max, after),
    );
  }

  /** A partial merge: members absent from the request keep their values. */
  update(apiId: string, authorizerId: string, input: UpdateAuthorizer): Authorizer {
    const current = this.get(apiId, authorizerId);
    const jwtConfiguration = input.jwtConfiguration
      ? { ...current.jwtConfiguration, ...omitUndefined(input.jwtConfiguration) }
      : current.jwtConfiguration;
    const authorizer = validateAuthorizer({ ...current, ...omitUndefined(input), jwtConfiguration, authorizerId });
    if (authorizer.authorizerType !== current.authorizerType) {
      const users = this.routesUsing(apiId, authorizerId);
      if (users.length > 0)
        throw conflict(`Authorizer ${authorizerId} is used by route(s) ${users.join(', ')}; its type cannot change.`);
    }
    this.write(apiId, authorizer);
    return authorizer;
  }

  delete(apiId: string, authorizerId: string): void {
    this.get(apiId, authorizerId);
    const users = this.routesUsing(apiId, authorizerId);
    // Unconfirmed on AWS; refusing keeps routes from naming an authorizer that is gone.
    if (users.length > 0)
      throw conflict(
        `Authorizer ${authorizerId} is still used by route(s) ${users.join(', ')}; change their authorization first.`,
      );
    this.plane.store.transaction(() => {
      this.plane.store.deleteChild('authorizers', apiId, authorizerId);
      this.plane.stages.autoDeploy(apiId);
    });
  }

  /** ResetAuthorizersCache: forgets the Lambda authorizers' cached answers on one stage. */
  resetCache(apiId: string, stageName: string): void {
    this.plane.stages.get(apiId, stageName);
    this.results?.resetStage(apiId, stageName);
  }

  private write(apiId: string, authorizer: Authorizer): void {
    this.plane.store.transaction(() => {
      this.plane.store.putAuthorizer(apiId, authorizer.authorizerId, authorizer);
      this.plane.stages.autoDeploy(apiId);
    });
  }

  private routesUsing(apiId: string, authorizerId: string): string[] {
    return this.plane.store
      .listChildren('routes', apiId)
      .filter((r) => r.authorizerId === authorizerId && r.authorizationType !== 'NONE')
      .map((r) => r.routeKey);
  }
}

type AuthorizerDraft = Omit<Partial<Authorizer>, 'authorizerType' | 'authorizerPayloadFormatVersion'> & {
  authorizerId: string;
  authorizerType?: string;
  authorizerPayloadFormatVersion?: string;
};

/** A complete authorizer from a draft, checked as AWS does (messages unconfirmed unless marked [obs]). */
function validateAuthorizer(a: AuthorizerDraft): Authorizer {
  const sources = a.identitySource ?? [];
  if (a.authorizerType === 'JWT') {
    const { issuer, audience } = a.jwtConfiguration ?? {};
    if (!issuer || !audience)
      throw badRequest('JwtConfiguration with an issuer and an audience is required for a JWT authorizer.');
    if (audience.length === 0 || audience.length > MAX_AUDIENCES)
      throw badRequest(`A JWT authorizer must have between 1 and ${MAX_AUDIENCES} audiences.`);
    // AWS requires https; the local gateway also takes http issuers (a test's OIDC server, the edge's own user pools).
    if (!/^https?:\/\/[^/]/.test(issuer) || !URL.canParse(issuer))
      throw badRequest(`Invalid issuer "${issuer}": must be an https URL.`);
    if (sources.length !== 1 || !isJwtIdentitySource(sources[0])) {
      throw badRequest(
        'A JWT authorizer needs exactly one identity source, $request.header.<name> or $request.querystring.<name>.',
      );
    }
    return omitUndefined({
      authorizerId: a.authorizerId,
      name: a.name!,
      authorizerType: 'JWT' as const,
      identitySource: sources,
      jwtConfiguration: { audience, issuer },
    });
  }
  if (a.authorizerType !== 'REQUEST') {
    throw badRequest(`Invalid authorizer type "${a.authorizerType}": HTTP APIs support JWT and REQUEST authorizers.`);
  }
  if (!a.authorizerUri || lambdaFunctionOfUri(a.authorizerUri) === a.authorizerUri) {
    throw badRequest(
      `Invalid authorizerUri "${a.authorizerUri ?? ''}": use arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations.`,
    );
  }
  // [obs] AWS's own message.
  if (a.authorizerPayloadFormatVersion === undefined)
    throw badRequest('AuthorizerPayloadFormatVersion is a required parameter for REQUEST authorizer');
  const version = a.authorizerPayloadFormatVersion;
  if (version !== '1.0' && version !== '2.0')
    throw badRequest(`Invalid authorizerPayloadFormatVersion "${version}": use "1.0" or "2.0".`);
  if (a.enableSimpleResponses && version !== '2.0')
    throw badRequest('Simple responses are supported only with authorizerPayloadFormatVersion 2.0.');
  const bad = sources.find((s) => identityReader(s) === undefined);
  if (bad !== undefined) {
    throw badRequest(
      `Invalid identity source "${bad}": use $request.header.<name>, $request.querystring.<name>, $context.<variable> or $stageVariables.<name>.`,
    );
  }
  const ttl = a.authorizerResultTtlInSeconds;
  if (ttl !== undefined && (ttl < 0 || ttl > 3600))
    throw badRequest(`Invalid authorizerResultTtlInSeconds ${ttl}: must be between 0 and 3600.`);
  if (ttl && sources.length === 0)
    throw badRequest('Caching (authorizerResultTtlInSeconds > 0) needs at least one identity source.');
  return omitUndefined({
    authorizerId: a.authorizerId,
    name: a.name!,
    authorizerType: 'REQUEST' as const,
    identitySource: sources,
    authorizerUri: a.authorizerUri,
    authorizerPayloadFormatVersion: version,
    enableSimpleResponses: a.enableSimpleResponses,
    authorizerResultTtlInSeconds: ttl,
    authorizerCredentialsArn: a.authorizerCredentialsArn,
    identityValidationExpression: a.identityValidationExpression,
  });
}
