import type { z } from 'zod';
import { badRequest, conflict, notFound } from '../errors.ts';
import { resourceId } from '../ids.ts';
import { omitUndefined, type Route } from '../model.ts';
import type { createRouteSchema, updateRouteSchema } from '../requests.ts';
import { findConflictingVariable, parseRouteKey, RouteKeyError, type ParsedRouteKey } from '../routes.ts';
import { PageTokens } from '../../protocols/pagination.ts';
import { readPage, type ListPage, type PageRequest } from './pages.ts';
import type { ApigwControlPlane } from './plane.ts';

type CreateRoute = z.infer<typeof createRouteSchema>;
type UpdateRoute = z.infer<typeof updateRouteSchema>;

const PAGES = new PageTokens('routes');
const MAX_ROUTES = 300;
const MAX_SCOPES = 10;
const AUTHORIZATION_TYPES = ['NONE', 'JWT', 'CUSTOM', 'AWS_IAM'];

/** The routes of an API: route keys, targets and their authorization. */
export class Routes {
  constructor(private readonly plane: ApigwControlPlane) {}

  create(apiId: string, input: CreateRoute, managed = false): Route {
    this.plane.apis.get(apiId);
    const routes = this.plane.store.listChildren('routes', apiId);
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
    this.validate(apiId, route, routes);
    this.plane.store.transaction(() => {
      this.plane.store.putRoute(apiId, route.routeId, route.routeKey, route);
      this.plane.stages.autoDeploy(apiId);
    });
    return route;
  }

  get(apiId: string, routeId: string): Route {
    this.plane.apis.get(apiId);
    const route = this.plane.store.getChild('routes', apiId, routeId);
    if (!route) throw notFound(`Invalid Route identifier specified ${routeId}`, 'Route');
    return route;
  }

  list(apiId: string): Route[] {
    this.plane.apis.get(apiId);
    return this.plane.store.listChildren('routes', apiId);
  }

  page(apiId: string, request: PageRequest): ListPage<Route> {
    this.plane.apis.get(apiId);
    return readPage(PAGES, request, (max, after) => this.plane.store.listChildrenPage('routes', apiId, max, after));
  }

  update(apiId: string, routeId: string, input: UpdateRoute): Route {
    const current = this.get(apiId, routeId);
    if (current.apiGatewayManaged && input.routeKey !== undefined && input.routeKey !== current.routeKey) {
      throw conflict(`The route key of a route managed by API Gateway cannot be changed.`);
    }
    const route: Route = { ...current, ...omitUndefined(input) };
    // Switching to NONE or AWS_IAM without naming an authorizer lets go of the old one and its scopes.
    if (
      (input.authorizationType === 'NONE' || input.authorizationType === 'AWS_IAM') &&
      input.authorizerId === undefined
    ) {
      delete route.authorizerId;
      if (input.authorizationScopes === undefined) delete route.authorizationScopes;
    }
    this.validate(
      apiId,
      route,
      this.plane.store.listChildren('routes', apiId).filter((r) => r.routeId !== routeId),
    );
    this.plane.store.transaction(() => {
      this.plane.store.putRoute(apiId, routeId, route.routeKey, route);
      this.plane.stages.autoDeploy(apiId);
    });
    return route;
  }

  delete(apiId: string, routeId: string): void {
    this.get(apiId, routeId);
    this.plane.store.transaction(() => {
      this.plane.store.deleteChild('routes', apiId, routeId);
      this.plane.stages.autoDeploy(apiId);
    });
  }

  /** `authorizationType`, `authorizerId` and `authorizationScopes` together, with AWS's messages where known. */
  private validateAuthorization(apiId: string, route: Route): void {
    const type = route.authorizationType;
    if (!AUTHORIZATION_TYPES.includes(type)) {
      throw badRequest(`Invalid authorization type specified "${type}": use NONE, JWT, CUSTOM or AWS_IAM.`);
    }
    const scopes = route.authorizationScopes ?? [];
    if (scopes.length > 0 && type !== 'JWT') {
      // [obs] AWS's message.
      throw badRequest(
        'Invalid Route authorization type specified. Authorization Scopes are only valid for COGNITO_USER_POOLS and JWT authorization types',
      );
    }
    if (scopes.length > MAX_SCOPES) throw badRequest(`A route can have at most ${MAX_SCOPES} authorization scopes.`);
    const badScope = scopes.find((s) => s.length < 1 || s.length > 64);
    if (badScope !== undefined)
      throw badRequest(`Invalid authorization scope "${badScope}": must be 1 to 64 characters.`);
    if (type === 'NONE' || type === 'AWS_IAM') {
      // Unconfirmed on AWS (one emulator refuses it too).
      if (route.authorizerId !== undefined)
        throw badRequest(`An authorizerId cannot be set on a route whose authorization type is ${type}.`);
      return;
    }
    const authorizer =
      route.authorizerId === undefined
        ? undefined
        : this.plane.store.getChild('authorizers', apiId, route.authorizerId);
    // [obs] AWS's messages.
    if (type === 'JWT' && authorizer?.authorizerType !== 'JWT') {
      throw badRequest(
        'Invalid authorizer ID specified. Setting the authorization type to JWT requires a valid JWT authorizer.',
      );
    }
    if (type === 'CUSTOM' && authorizer?.authorizerType !== 'REQUEST') {
      throw badRequest(
        'Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.',
      );
    }
  }

  private validate(apiId: string, route: Route, others: Route[]): void {
    let parsed;
    try {
      parsed = parseRouteKey(route.routeKey);
    } catch (err) {
      if (err instanceof RouteKeyError) throw badRequest(`Invalid route key "${route.routeKey}": ${err.message}.`);
      throw err;
    }
    if (others.some((r) => r.routeKey === route.routeKey))
      throw conflict(`Route with key ${route.routeKey} already exists for this API`);
    if (parsed.key !== '$default') {
      const clash = findConflictingVariable(
        parsed as ParsedRouteKey,
        others.map((r) => parseRouteKey(r.routeKey)).filter((p): p is ParsedRouteKey => p.key !== '$default'),
      );
      if (clash) {
        throw conflict(
          `The provided route key "${route.routeKey}" has a conflicting variable on the same hierarchical level as "${clash.key}"`,
        );
      }
    }
    this.validateAuthorization(apiId, route);
    if (route.target !== undefined) {
      const m = /^integrations\/([a-z0-9]+)$/.exec(route.target);
      if (!m) throw badRequest(`Invalid target "${route.target}": must be integrations/{integrationId}.`);
      if (!this.plane.store.getChild('integrations', apiId, m[1])) {
        throw badRequest(`Invalid target "${route.target}": integration ${m[1]} does not exist in API ${apiId}.`);
      }
    }
  }
}
