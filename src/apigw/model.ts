/** Wire shapes of the apigatewayv2 management API (camelCase member names, unset members omitted). */

import type { CorsConfiguration } from '../protocols/cors.ts';

export type { CorsConfiguration };

export interface Api {
  apiId: string;
  name: string;
  protocolType: 'HTTP';
  apiKeySelectionExpression: string;
  routeSelectionExpression: string;
  createdDate: string;
  disableExecuteApiEndpoint: boolean;
  disableSchemaValidation?: boolean;
  ipAddressType: string;
  corsConfiguration?: CorsConfiguration;
  description?: string;
  version?: string;
  tags: Record<string, string>;
  apiGatewayManaged?: boolean;
  importInfo?: string[];
  warnings?: string[];
}

export interface Integration {
  integrationId: string;
  integrationType: 'AWS_PROXY' | 'HTTP_PROXY';
  integrationUri?: string;
  integrationMethod?: string;
  payloadFormatVersion: '1.0' | '2.0';
  timeoutInMillis: number;
  connectionType: 'INTERNET' | 'VPC_LINK';
  connectionId?: string;
  credentialsArn?: string;
  description?: string;
  integrationSubtype?: string;
  requestParameters?: Record<string, string>;
  responseParameters?: Record<string, Record<string, string>>;
  tlsConfig?: { serverNameToVerify?: string };
  apiGatewayManaged?: boolean;
}

export interface Route {
  routeId: string;
  routeKey: string;
  target?: string;
  authorizationType: string;
  apiKeyRequired: boolean;
  authorizationScopes?: string[];
  authorizerId?: string;
  operationName?: string;
  requestParameters?: Record<string, { required: boolean }>;
  apiGatewayManaged?: boolean;
}

export interface RouteSettings {
  dataTraceEnabled?: boolean;
  detailedMetricsEnabled?: boolean;
  loggingLevel?: 'ERROR' | 'INFO' | 'OFF';
  throttlingBurstLimit?: number;
  throttlingRateLimit?: number;
}

export interface AccessLogSettings {
  destinationArn?: string;
  format?: string;
}

export interface Stage {
  stageName: string;
  autoDeploy: boolean;
  deploymentId?: string;
  description?: string;
  stageVariables: Record<string, string>;
  accessLogSettings?: AccessLogSettings;
  defaultRouteSettings: RouteSettings;
  routeSettings: Record<string, RouteSettings>;
  clientCertificateId?: string;
  tags: Record<string, string>;
  createdDate: string;
  lastUpdatedDate: string;
  lastDeploymentStatusMessage?: string;
  apiGatewayManaged?: boolean;
}

export interface Deployment {
  deploymentId: string;
  autoDeployed: boolean;
  createdDate: string;
  deploymentStatus: 'DEPLOYED';
  description?: string;
}

export interface DomainNameConfiguration {
  apiGatewayDomainName: string;
  certificateArn?: string;
  certificateName?: string;
  domainNameStatus: 'AVAILABLE';
  domainNameStatusMessage?: string;
  endpointType: 'REGIONAL' | 'EDGE';
  hostedZoneId: string;
  ipAddressType: string;
  securityPolicy: 'TLS_1_0' | 'TLS_1_2';
  ownershipVerificationCertificateArn?: string;
}

export interface DomainName {
  domainName: string;
  domainNameArn: string;
  apiMappingSelectionExpression: string;
  domainNameConfigurations: DomainNameConfiguration[];
  mutualTlsAuthentication?: { truststoreUri?: string; truststoreVersion?: string };
  routingMode: string;
  tags: Record<string, string>;
}

export interface ApiMapping {
  apiMappingId: string;
  apiId: string;
  /** '' maps the domain's root. */
  apiMappingKey: string;
  stage: string;
}

/** A VPC link as stored; its status is derived from `createdDate` when read. */
export interface VpcLink {
  vpcLinkId: string;
  name: string;
  createdDate: string;
  securityGroupIds: string[];
  subnetIds: string[];
  tags: Record<string, string>;
  vpcLinkVersion: 'V2';
}

export interface Model {
  modelId: string;
  name: string;
  schema: string;
  contentType?: string;
  description?: string;
}

export interface JwtConfiguration {
  audience?: string[];
  issuer?: string;
}

export interface Authorizer {
  authorizerId: string;
  name: string;
  authorizerType: 'JWT' | 'REQUEST';
  identitySource: string[];
  jwtConfiguration?: JwtConfiguration;
  authorizerUri?: string;
  authorizerPayloadFormatVersion?: '1.0' | '2.0';
  enableSimpleResponses?: boolean;
  authorizerResultTtlInSeconds?: number;
  authorizerCredentialsArn?: string;
  identityValidationExpression?: string;
}

/** What a deployment freezes and the data plane serves. */
export interface DeploymentSnapshot {
  routes: Route[];
  integrations: Integration[];
  /** Absent in deployments made before authorizers existed. */
  authorizers?: Authorizer[];
  corsConfiguration?: CorsConfiguration;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** `o` without its undefined members: the wire shapes omit unset members. */
export function omitUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
