import { badRequest } from './errors.ts';
import { omitUndefined, type Authorizer, type Route } from './model.ts';
import { asDoc, type Doc } from './openapi-doc.ts';

/** OpenAPI 3.0 `securitySchemes` with `x-amazon-apigateway-authorizer` / `-authtype`, and operations' `security`. */

function schemesOf(doc: Doc): Doc {
  return asDoc(asDoc(doc.components)?.securitySchemes) ?? {};
}

const SIGV4_SCHEME = 'sigv4';
const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

/** An authorizer to create on import, named after its security scheme. */
export type PlannedAuthorizer = Omit<
  Authorizer,
  'authorizerId' | 'authorizerType' | 'authorizerPayloadFormatVersion'
> & {
  authorizerType: string;
  authorizerPayloadFormatVersion?: string;
};

/** The route fields an operation's `security` asks for; `authorizerName` is a scheme name to resolve. */
export interface RouteSecurity {
  authorizationType: 'NONE' | 'JWT' | 'CUSTOM' | 'AWS_IAM';
  authorizerName?: string;
  authorizationScopes?: string[];
}

/** The authorizers declared by the document's security schemes (those with `x-amazon-apigateway-authorizer`). */
export function plannedAuthorizers(doc: Doc): PlannedAuthorizer[] {
  const planned: PlannedAuthorizer[] = [];
  for (const [name, value] of Object.entries(schemesOf(doc))) {
    const scheme = asDoc(value) ?? {};
    const x = asDoc(scheme['x-amazon-apigateway-authorizer']);
    if (!x) continue;
    const type = typeof x.type === 'string' ? x.type.toLowerCase() : '';
    const identitySource =
      typeof x.identitySource === 'string'
        ? x.identitySource
            .split(',')
            .map((s: string) => s.trim())
            .filter(Boolean)
        : [];
    if (type === 'jwt') {
      const config = asDoc(x.jwtConfiguration) ?? {};
      // With an openIdConnect scheme the issuer may be left out: it is the discovery URL without its well-known suffix.
      const fromUrl =
        typeof scheme.openIdConnectUrl === 'string' ? scheme.openIdConnectUrl.replace(DISCOVERY_SUFFIX, '') : undefined;
      const issuer = typeof config.issuer === 'string' ? config.issuer : fromUrl;
      const audience = Array.isArray(config.audience) ? config.audience.map(String) : undefined;
      planned.push({
        name,
        authorizerType: 'JWT',
        identitySource: identitySource.length ? identitySource : ['$request.header.Authorization'],
        jwtConfiguration: omitUndefined({ issuer, audience }),
      });
    } else if (type === 'request') {
      planned.push(
        omitUndefined({
          name,
          authorizerType: 'REQUEST',
          identitySource,
          authorizerUri: typeof x.authorizerUri === 'string' ? x.authorizerUri : undefined,
          authorizerPayloadFormatVersion: versionOf(x.authorizerPayloadFormatVersion),
          authorizerResultTtlInSeconds:
            x.authorizerResultTtlInSeconds === undefined ? undefined : Number(x.authorizerResultTtlInSeconds),
          enableSimpleResponses: typeof x.enableSimpleResponses === 'boolean' ? x.enableSimpleResponses : undefined,
          authorizerCredentialsArn: typeof x.authorizerCredentials === 'string' ? x.authorizerCredentials : undefined,
        }),
      );
    } else {
      throw badRequest(
        `Unsupported authorizer type "${String(x.type)}" in security scheme ${name}: HTTP APIs support jwt and request authorizers.`,
      );
    }
  }
  return planned;
}

/** `"2.0"` whether the document wrote it as text or as a number (YAML's 2.0). */
function versionOf(value: unknown): string | undefined {
  if (typeof value === 'number') return value.toFixed(1);
  return typeof value === 'string' ? value : undefined;
}

/** What an operation's `security` (or the document's) makes of its route. */
export function routeSecurityOf(doc: Doc, operation: Doc, routeKey: string): RouteSecurity {
  const security = operation.security ?? doc.security;
  if (security === undefined) return { authorizationType: 'NONE' };
  if (!Array.isArray(security))
    throw badRequest(`The security of ${routeKey} must be a list of security requirements.`);
  const requirements = security.map(asDoc).filter((r): r is Doc => r !== undefined && Object.keys(r).length > 0);
  if (requirements.length === 0) return { authorizationType: 'NONE' };
  if (requirements.length > 1 || Object.keys(requirements[0]).length > 1) {
    throw badRequest(`Only one security requirement per operation is supported; ${routeKey} has several.`);
  }
  const [name, scopes] = Object.entries(requirements[0])[0];
  const scheme = asDoc(schemesOf(doc)[name]);
  if (!scheme)
    throw badRequest(`The security of ${routeKey} names ${name}, which is not in components.securitySchemes.`);
  if (scheme['x-amazon-apigateway-authtype'] === 'awsSigv4') return { authorizationType: 'AWS_IAM' };
  const declared = asDoc(scheme['x-amazon-apigateway-authorizer'])?.type;
  const type = typeof declared === 'string' ? declared.toLowerCase() : '';
  if (type === 'jwt') {
    const list = Array.isArray(scopes) ? scopes.map(String) : [];
    return omitUndefined({
      authorizationType: 'JWT' as const,
      authorizerName: name,
      authorizationScopes: list.length ? list : undefined,
    });
  }
  if (type === 'request') return { authorizationType: 'CUSTOM', authorizerName: name };
  throw badRequest(
    `Security scheme ${name} used by ${routeKey} has no x-amazon-apigateway-authorizer or x-amazon-apigateway-authtype.`,
  );
}

/** `components.securitySchemes` for an export: one per authorizer, plus `sigv4` when a route uses AWS_IAM. */
export function securitySchemesOf(
  authorizers: readonly Authorizer[],
  routes: readonly Route[],
  includeExtensions: boolean,
): Doc | undefined {
  const schemes: Doc = {};
  for (const a of authorizers) {
    const x: Doc =
      a.authorizerType === 'JWT'
        ? { identitySource: a.identitySource.join(','), jwtConfiguration: a.jwtConfiguration, type: 'jwt' }
        : omitUndefined({
            identitySource: a.identitySource.join(','),
            authorizerUri: a.authorizerUri,
            authorizerPayloadFormatVersion: a.authorizerPayloadFormatVersion,
            authorizerResultTtlInSeconds: a.authorizerResultTtlInSeconds,
            enableSimpleResponses: a.enableSimpleResponses,
            authorizerCredentials: a.authorizerCredentialsArn,
            type: 'request',
          });
    const header = /^\$request\.header\.(.+)$/.exec(a.identitySource[0] ?? '')?.[1] ?? 'Unused';
    const scheme: Doc =
      a.authorizerType === 'JWT' ? { type: 'oauth2', flows: {} } : { type: 'apiKey', name: header, in: 'header' };
    if (includeExtensions) scheme['x-amazon-apigateway-authorizer'] = x;
    schemes[a.name] = scheme;
  }
  if (routes.some((r) => r.authorizationType === 'AWS_IAM')) {
    schemes[SIGV4_SCHEME] = {
      type: 'apiKey',
      name: 'Authorization',
      in: 'header',
      ...(includeExtensions && { 'x-amazon-apigateway-authtype': 'awsSigv4' }),
    };
  }
  return Object.keys(schemes).length ? schemes : undefined;
}

/** An exported operation's `security`, or undefined for a route without authorization. */
export function operationSecurityOf(route: Route, authorizers: ReadonlyMap<string, Authorizer>): Doc[] | undefined {
  if (route.authorizationType === 'AWS_IAM') return [{ [SIGV4_SCHEME]: [] }];
  const authorizer = route.authorizerId === undefined ? undefined : authorizers.get(route.authorizerId);
  if (!authorizer || (route.authorizationType !== 'JWT' && route.authorizationType !== 'CUSTOM')) return undefined;
  return [{ [authorizer.name]: route.authorizationType === 'JWT' ? (route.authorizationScopes ?? []) : [] }];
}
