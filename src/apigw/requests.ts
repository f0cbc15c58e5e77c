import { z } from 'zod';
import { badRequest } from './errors.ts';

/** Request bodies of the management API (camelCase wire names); unknown members are ignored as by AWS. */

const stringList = z.array(z.string());
const stringMap = z.record(z.string(), z.string());

export const corsSchema = z.object({
  allowOrigins: stringList.optional(),
  allowCredentials: z.boolean().optional(),
  allowHeaders: stringList.optional(),
  allowMethods: z.array(z.string().min(1).max(64)).optional(),
  exposeHeaders: stringList.optional(),
  maxAge: z.number().int().min(-1).max(86400).optional(),
});

const apiFields = {
  name: z.string().min(1).max(128),
  corsConfiguration: corsSchema.optional(),
  description: z.string().max(1024).optional(),
  disableExecuteApiEndpoint: z.boolean().optional(),
  disableSchemaValidation: z.boolean().optional(),
  ipAddressType: z.enum(['ipv4', 'dualstack']).optional(),
  routeSelectionExpression: z.string().optional(),
  apiKeySelectionExpression: z.string().optional(),
  version: z.string().max(64).optional(),
  routeKey: z.string().optional(),
  target: z.string().optional(),
  credentialsArn: z.string().optional(),
};

export const createApiSchema = z.object({ ...apiFields, protocolType: z.string(), tags: stringMap.optional() });
export const updateApiSchema = z.object(apiFields).partial();

const integrationFields = {
  integrationType: z.string(),
  integrationUri: z.string().optional(),
  integrationMethod: z.string().optional(),
  integrationSubtype: z.string().optional(),
  payloadFormatVersion: z.string().optional(),
  timeoutInMillis: z.number().int().optional(),
  connectionType: z.enum(['INTERNET', 'VPC_LINK']).optional(),
  connectionId: z.string().optional(),
  credentialsArn: z.string().optional(),
  description: z.string().optional(),
  requestParameters: stringMap.optional(),
  responseParameters: z.record(z.string(), stringMap).optional(),
  tlsConfig: z.object({ serverNameToVerify: z.string().optional() }).optional(),
};

export const createIntegrationSchema = z.object(integrationFields);
export const updateIntegrationSchema = z.object(integrationFields).partial();

const routeFields = {
  routeKey: z.string(),
  target: z.string().optional(),
  authorizationType: z.string().optional(),
  authorizerId: z.string().optional(),
  authorizationScopes: stringList.optional(),
  apiKeyRequired: z.boolean().optional(),
  operationName: z.string().optional(),
  requestParameters: z.record(z.string(), z.object({ required: z.boolean() })).optional(),
};

const authorizerFields = {
  name: z.string().min(1).max(128),
  authorizerType: z.string(),
  identitySource: stringList,
  jwtConfiguration: z
    .object({ audience: stringList.optional(), issuer: z.string().min(1).max(2048).optional() })
    .optional(),
  authorizerUri: z.string().min(1).max(2048).optional(),
  authorizerPayloadFormatVersion: z.string().optional(),
  enableSimpleResponses: z.boolean().optional(),
  authorizerResultTtlInSeconds: z.number().int().optional(),
  authorizerCredentialsArn: z.string().optional(),
  identityValidationExpression: z.string().max(1024).optional(),
};

export const createAuthorizerSchema = z.object(authorizerFields);
export const updateAuthorizerSchema = z.object(authorizerFields).partial();

export const createRouteSchema = z.object(routeFields);
export const updateRouteSchema = z.object(routeFields).partial();

export const routeSettingsSchema = z.object({
  dataTraceEnabled: z.boolean().optional(),
  detailedMetricsEnabled: z.boolean().optional(),
  loggingLevel: z.enum(['ERROR', 'INFO', 'OFF']).optional(),
  throttlingBurstLimit: z.number().int().min(0).optional(),
  throttlingRateLimit: z.number().min(0).optional(),
});

const stageFields = {
  stageName: z.string(),
  autoDeploy: z.boolean().optional(),
  deploymentId: z.string().optional(),
  description: z.string().optional(),
  stageVariables: stringMap.optional(),
  accessLogSettings: z.object({ destinationArn: z.string().optional(), format: z.string().optional() }).optional(),
  defaultRouteSettings: routeSettingsSchema.optional(),
  routeSettings: z.record(z.string(), routeSettingsSchema).optional(),
  clientCertificateId: z.string().optional(),
};

export const createStageSchema = z.object({ ...stageFields, tags: stringMap.optional() });
export const updateStageSchema = z.object(stageFields).partial();

export const createDeploymentSchema = z.object({
  stageName: z.string().optional(),
  description: z.string().optional(),
});

export const updateDeploymentSchema = z.object({ description: z.string().max(1024).optional() });

export const tagsSchema = z.object({ tags: stringMap.optional() });

const domainNameConfigurationSchema = z.object({
  apiGatewayDomainName: z.string().optional(),
  certificateArn: z.string().optional(),
  certificateName: z.string().optional(),
  certificateUploadDate: z.string().optional(),
  domainNameStatus: z.string().optional(),
  domainNameStatusMessage: z.string().optional(),
  endpointType: z.enum(['REGIONAL', 'EDGE']).optional(),
  hostedZoneId: z.string().optional(),
  ipAddressType: z.enum(['ipv4', 'dualstack']).optional(),
  securityPolicy: z.enum(['TLS_1_0', 'TLS_1_2']).optional(),
  ownershipVerificationCertificateArn: z.string().optional(),
});

const domainNameFields = {
  domainNameConfigurations: z.array(domainNameConfigurationSchema).max(1).optional(),
  mutualTlsAuthentication: z
    .object({ truststoreUri: z.string().optional(), truststoreVersion: z.string().optional() })
    .optional(),
  routingMode: z.enum(['API_MAPPING_ONLY', 'ROUTING_RULE_ONLY', 'ROUTING_RULE_THEN_API_MAPPING']).optional(),
};

export const createDomainNameSchema = z.object({
  domainName: z.string().min(1).max(512),
  ...domainNameFields,
  tags: stringMap.optional(),
});
export const updateDomainNameSchema = z.object(domainNameFields);

export const createApiMappingSchema = z.object({
  apiId: z.string().min(1),
  apiMappingKey: z.string().optional(),
  stage: z.string().min(1).max(128),
});
export const updateApiMappingSchema = z.object({
  apiId: z.string().min(1),
  apiMappingKey: z.string().optional(),
  stage: z.string().min(1).max(128).optional(),
});

export const createVpcLinkSchema = z.object({
  name: z.string().min(1).max(128),
  subnetIds: stringList,
  securityGroupIds: stringList.optional(),
  tags: stringMap.optional(),
});
export const updateVpcLinkSchema = z.object({ name: z.string().min(1).max(128).optional() });

const modelFields = {
  name: z.string().min(1).max(128),
  schema: z.string().max(32768),
  contentType: z.string().min(1).max(256).optional(),
  description: z.string().max(1024).optional(),
};

export const createModelSchema = z.object(modelFields);
export const updateModelSchema = z.object(modelFields).partial();

export const importApiSchema = z.object({ body: z.string() });

/** Parses a JSON request body against `schema`; a bad body is a BadRequestException naming the bad member. */
export function parseBody<T extends z.ZodType>(schema: T, body: Buffer | undefined): z.infer<T> {
  let json: unknown = {};
  if (body && body.length > 0) {
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw badRequest('The request body is not valid JSON.');
    }
  }
  return parseValue(schema, json);
}

/** `value` checked against `schema`; a mismatch is a BadRequestException naming the bad member (in `context`). */
export function parseValue<T extends z.ZodType>(schema: T, value: unknown, context?: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length ? issue.path.map(String).join('.') : 'body';
    throw badRequest(`Invalid input for ${where}${context ? ` in ${context}` : ''}: ${issue.message}`);
  }
  return result.data;
}
