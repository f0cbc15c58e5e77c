import { GetBucketCorsCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetFunctionConfigurationCommand, GetPolicyCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetApisCommand,
  GetAuthorizersCommand,
  GetIntegrationsCommand,
  GetRoutesCommand,
  GetStagesCommand,
  type ApiGatewayV2Client,
} from '@aws-sdk/client-apigatewayv2';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DescribeLogGroupsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import {
  apiGatewayClient,
  cognitoClient,
  iamClient,
  lambdaClient,
  logsClient,
  s3Client,
  stsClient,
  type Endpoint,
} from '../client/aws-clients.ts';
import type { CorsRule, Declaration } from './declaration.ts';
import { readAuth, type AuthState } from './target-auth.ts';

/** Where a declaration is applied: the local edge (`endpoint.url` set) or AWS (standard credential chain). */
export interface DeployClients {
  endpoint: Endpoint;
  s3: S3Client;
  lambda: LambdaClient;
  apigw: ApiGatewayV2Client;
  sts: STSClient;
  cognito: CognitoIdentityProviderClient;
  logs: CloudWatchLogsClient;
  iam: IAMClient;
}

export function deployClients(endpoint: Endpoint): DeployClients {
  return {
    endpoint,
    s3: s3Client(endpoint),
    lambda: lambdaClient(endpoint),
    apigw: apiGatewayClient(endpoint),
    sts: stsClient(endpoint),
    cognito: cognitoClient(endpoint),
    logs: logsClient(endpoint),
    iam: iamClient(endpoint),
  };
}

export interface FunctionState {
  codeSha256?: string;
  runtime?: string;
  handler?: string;
  role?: string;
  timeout?: number;
  memorySize?: number;
  environment: Record<string, string>;
}

export interface IntegrationState {
  integrationId: string;
  integrationType?: string;
  integrationUri?: string;
  integrationMethod?: string;
  payloadFormatVersion?: string;
}

export interface RouteState {
  routeId: string;
  routeKey: string;
  target?: string;
  authorizationType?: string;
  authorizerId?: string;
}

export interface AuthorizerState {
  authorizerId: string;
  name?: string;
  authorizerType?: string;
  identitySource?: string[];
  issuer?: string;
  audience?: string[];
}

export interface StageState {
  stageName: string;
  autoDeploy?: boolean;
  accessLogSettings?: { destinationArn?: string; format?: string };
}

export interface ApiState {
  apiId: string;
  apiEndpoint?: string;
  integrations: IntegrationState[];
  routes: RouteState[];
  stages: StageState[];
  authorizers: AuthorizerState[];
}

/** What a target holds of the declared platform. */
export interface TargetState {
  accountId: string;
  buckets: Record<string, { exists: boolean; cors: CorsRule[] }>;
  /** Whether the declared role exists (undefined when deploy does not manage one). */
  roleExists?: boolean;
  function?: FunctionState;
  /** The APIs named like the declared one (more than one is an error for deploy). */
  apis: Array<{ apiId: string; apiEndpoint?: string }>;
  /** Details of the API, when exactly one has the declared name. */
  api?: ApiState;
  /** The source ARN of the declared permission statement, when the statement exists. */
  permission?: { sourceArn?: string };
  /** The user pool and app client of sign-in, when the declaration has it. */
  auth?: AuthState;
  /** Whether the declared access-log group exists, when the declaration has one. */
  logGroup?: { exists: boolean };
}

/** Reads everything `plan` needs; a failure names the step. */
export async function readTarget(clients: DeployClients, declaration: Declaration): Promise<TargetState> {
  const accountId = await step('read the account id (sts:GetCallerIdentity)', async () => {
    const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new Error('no account in the answer');
    return identity.Account;
  });
  const buckets: TargetState['buckets'] = {};
  for (const bucket of declaration.buckets) {
    buckets[bucket.name] = await step(`read bucket ${bucket.name}`, () => readBucket(clients.s3, bucket.name));
  }
  const role = declaration.role;
  const roleExists = role ? await step(`read role ${role.name}`, () => readRole(clients.iam, role.name)) : undefined;
  const fn = await step(`read function ${declaration.function.name}`, () =>
    readFunction(clients.lambda, declaration.function.name),
  );
  const permission = fn
    ? await step(`read the policy of ${declaration.function.name}`, () =>
        readPermission(clients.lambda, declaration.function.name, declaration.permission.statementId),
      )
    : undefined;
  const apis = await step(`list APIs named ${declaration.api.name}`, () =>
    findApis(clients.apigw, declaration.api.name),
  );
  const api =
    apis.length === 1
      ? await step(`read API ${apis[0].apiId}`, () => readApi(clients.apigw, apis[0], declaration.auth !== undefined))
      : undefined;
  const auth = declaration.auth ? await readAuth(clients.cognito, declaration.auth) : undefined;
  const logGroup = declaration.logGroup && {
    exists: await step(`read log group ${declaration.logGroup.name}`, () =>
      logGroupExists(clients.logs, declaration.logGroup!.name),
    ),
  };
  return { accountId, buckets, roleExists, function: fn, apis, api, permission, auth, logGroup };
}

async function logGroupExists(logs: CloudWatchLogsClient, name: string): Promise<boolean> {
  const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, limit: 50 }));
  return (page.logGroups ?? []).some((g) => g.logGroupName === name);
}

/** Runs one step; its error message says which step failed and why. */
export async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new DeployStepError(name, err);
  }
}

export class DeployStepError extends Error {
  constructor(
    readonly stepName: string,
    readonly cause: unknown,
  ) {
    super(`${stepName} failed: ${describeAwsError(cause)}`);
  }
}

export function describeAwsError(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  if (e?.code === 'ECONNREFUSED') return `${e.message} (is the endpoint up? for the local edge run ddn up)`;
  if (e?.name === 'CredentialsProviderError')
    return `${e.message} (configure AWS credentials: AWS_PROFILE, aws configure, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`;
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name && e.name !== 'Error' ? `${e.name}: ` : '';
  return `${name}${e?.message ?? String(err)}${status ? ` (HTTP ${status})` : ''}`;
}

const NOT_FOUND_ERRORS = new Set([
  'NotFound',
  'NoSuchBucket',
  'ResourceNotFoundException',
  'NotFoundException',
  'NoSuchEntityException',
]);

/** The SDK error of a resource that does not exist (any of the services deploy calls). */
export function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.$metadata?.httpStatusCode === 404 || NOT_FOUND_ERRORS.has(e?.name ?? '');
}

async function readRole(iam: IAMClient, name: string): Promise<boolean> {
  try {
    await iam.send(new GetRoleCommand({ RoleName: name }));
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function readBucket(s3: S3Client, bucket: string): Promise<{ exists: boolean; cors: CorsRule[] }> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (isNotFound(err)) return { exists: false, cors: [] };
    throw err;
  }
  try {
    const cors = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
    return { exists: true, cors: (cors.CORSRules ?? []).map(normaliseCorsRule) };
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchCORSConfiguration' || isNotFound(err))
      return { exists: true, cors: [] };
    throw err;
  }
}

function normaliseCorsRule(rule: {
  AllowedOrigins?: string[];
  AllowedMethods?: string[];
  AllowedHeaders?: string[];
  ExposeHeaders?: string[];
  MaxAgeSeconds?: number;
}): CorsRule {
  return {
    AllowedOrigins: rule.AllowedOrigins ?? [],
    AllowedMethods: rule.AllowedMethods ?? [],
    AllowedHeaders: rule.AllowedHeaders ?? [],
    ExposeHeaders: rule.ExposeHeaders ?? [],
    MaxAgeSeconds: rule.MaxAgeSeconds ?? 0,
  };
}

async function readFunction(lambda: LambdaClient, name: string): Promise<FunctionState | undefined> {
  try {
    const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    return {
      codeSha256: c.CodeSha256,
      runtime: c.Runtime,
      handler: c.Handler,
      role: c.Role,
      timeout: c.Timeout,
      memorySize: c.MemorySize,
      environment: c.Environment?.Variables ?? {},
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function readPermission(
  lambda: LambdaClient,
  name: string,
  statementId: string,
): Promise<{ sourceArn?: string } | undefined> {
  let policy: string | undefined;
  try {
    policy = (await lambda.send(new GetPolicyCommand({ FunctionName: name }))).Policy;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const statements =
    (
      JSON.parse(policy ?? '{}') as {
        Statement?: Array<{ Sid?: string; Condition?: Record<string, Record<string, string>> }>;
      }
    ).Statement ?? [];
  const statement = statements.find((s) => s.Sid === statementId);
  if (!statement) return undefined;
  return { sourceArn: statement.Condition?.ArnLike?.['AWS:SourceArn'] };
}

export async function findApis(
  apigw: ApiGatewayV2Client,
  name: string,
): Promise<Array<{ apiId: string; apiEndpoint?: string }>> {
  const found: Array<{ apiId: string; apiEndpoint?: string }> = [];
  let nextToken: string | undefined;
  do {
    const page = await apigw.send(new GetApisCommand({ NextToken: nextToken }));
    for (const api of page.Items ?? [])
      if (api.Name === name && api.ApiId) found.push({ apiId: api.ApiId, apiEndpoint: api.ApiEndpoint });
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

/** Authorizers are read only for a declaration with sign-in: without it they play no part in the plan. */
async function readApi(
  apigw: ApiGatewayV2Client,
  api: { apiId: string; apiEndpoint?: string },
  withAuthorizers: boolean,
): Promise<ApiState> {
  const ApiId = api.apiId;
  const integrations: IntegrationState[] = [];
  const routes: RouteState[] = [];
  let nextToken: string | undefined;
  do {
    const page = await apigw.send(new GetIntegrationsCommand({ ApiId, NextToken: nextToken }));
    for (const i of page.Items ?? []) {
      integrations.push({
        integrationId: i.IntegrationId!,
        integrationType: i.IntegrationType,
        integrationUri: i.IntegrationUri,
        integrationMethod: i.IntegrationMethod,
        payloadFormatVersion: i.PayloadFormatVersion,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  do {
    const page = await apigw.send(new GetRoutesCommand({ ApiId, NextToken: nextToken }));
    for (const r of page.Items ?? []) {
      routes.push({
        routeId: r.RouteId!,
        routeKey: r.RouteKey!,
        target: r.Target,
        authorizationType: r.AuthorizationType,
        authorizerId: r.AuthorizerId,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  const authorizers: AuthorizerState[] = [];
  while (withAuthorizers) {
    const page = await apigw.send(new GetAuthorizersCommand({ ApiId, NextToken: nextToken }));
    for (const a of page.Items ?? []) {
      authorizers.push({
        authorizerId: a.AuthorizerId!,
        name: a.Name,
        authorizerType: a.AuthorizerType,
        identitySource: a.IdentitySource,
        issuer: a.JwtConfiguration?.Issuer,
        audience: a.JwtConfiguration?.Audience,
      });
    }
    nextToken = page.NextToken;
    if (!nextToken) break;
  }
  const stages = ((await apigw.send(new GetStagesCommand({ ApiId }))).Items ?? []).map((s) => ({
    stageName: s.StageName!,
    autoDeploy: s.AutoDeploy,
    accessLogSettings: s.AccessLogSettings
      ? { destinationArn: s.AccessLogSettings.DestinationArn, format: s.AccessLogSettings.Format }
      : undefined,
  }));
  return { apiId: ApiId, apiEndpoint: api.apiEndpoint, integrations, routes, stages, authorizers };
}
