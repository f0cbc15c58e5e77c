import type { Authorizer, Route } from '../model.ts';
import { iamRouteAuthorizer, type IamAuthorizerDeps } from './iam.ts';
import { IssuerKeySets } from './jwks.ts';
import { JwtVerifier, jwtRouteAuthorizer } from './jwt.ts';
import { lambdaRouteAuthorizer, type LambdaAuthorizerDeps } from './lambda.ts';
import { refuse, type RouteAuthorizer } from './types.ts';

/**
 * Makes the authorization step of each route when a stage is compiled (a route with `NONE` gets none, so it pays
 * nothing per request). Issuer keys and JWT verifiers, with their verified tokens, outlive recompiles.
 */
export class RouteAuthorizers {
  private readonly keySets = new IssuerKeySets();
  private readonly verifiers = new Map<string, JwtVerifier>();
  private readonly iam: RouteAuthorizer;

  constructor(private readonly deps: { lambda: LambdaAuthorizerDeps; iam: IamAuthorizerDeps }) {
    this.iam = iamRouteAuthorizer(deps.iam);
  }

  forRoute(route: Route, authorizers: ReadonlyMap<string, Authorizer>): RouteAuthorizer | undefined {
    if (route.authorizationType === 'AWS_IAM') return this.iam;
    if (route.authorizationType !== 'JWT' && route.authorizationType !== 'CUSTOM') return undefined;
    const authorizer = route.authorizerId === undefined ? undefined : authorizers.get(route.authorizerId);
    // The management API refuses such routes; a deployment made otherwise fails closed.
    if (!authorizer)
      return () => refuse(500, `The route's authorizer ${route.authorizerId ?? '(none)'} is not in the deployment`);
    if (authorizer.authorizerType === 'JWT')
      return jwtRouteAuthorizer(authorizer, route.authorizationScopes ?? [], this.verifierOf(authorizer));
    return lambdaRouteAuthorizer(authorizer, this.deps.lambda);
  }

  private verifierOf(authorizer: Authorizer): JwtVerifier {
    const issuer = authorizer.jwtConfiguration?.issuer ?? '';
    const audience = authorizer.jwtConfiguration?.audience ?? [];
    const key = JSON.stringify([issuer, audience]);
    let verifier = this.verifiers.get(key);
    if (!verifier) this.verifiers.set(key, (verifier = new JwtVerifier(issuer, audience, this.keySets)));
    return verifier;
  }
}
