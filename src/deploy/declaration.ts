import type { ExplicitAuthFlowsType } from '@aws-sdk/client-cognito-identity-provider';
import { SIGN_IN_AUTH_FLOWS } from '../client/user-pool.ts';
import type { Config } from '../config/index.ts';

/** Bucket CORS rule in the shape of the S3 API. */
export interface CorsRule {
  AllowedOrigins: string[];
  AllowedMethods: string[];
  AllowedHeaders: string[];
  ExposeHeaders: string[];
  MaxAgeSeconds: number;
}

/** Browsers (the web console) PUT and GET through presigned URLs from any origin. */
export const DEFAULT_BUCKET_CORS: CorsRule[] = [
  {
    AllowedOrigins: ['*'],
    AllowedMethods: ['GET', 'PUT', 'HEAD', 'POST'],
    AllowedHeaders: ['*'],
    ExposeHeaders: ['ETag', 'Content-Length', 'Content-Type', 'x-amz-request-id'],
    MaxAgeSeconds: 3000,
  },
];

export type IntegrationName = 'lambda' | 'backend';

export interface DeclaredIntegration {
  integrationType: 'AWS_PROXY' | 'HTTP_PROXY';
  integrationMethod?: string;
  payloadFormatVersion: '1.0' | '2.0';
  /** For the Lambda integration this depends on the account, known only once the target is read. */
  integrationUri: (accountId: string) => string;
}

export interface DeclaredStage {
  stageName: string;
  autoDeploy: boolean;
  /** The log group's ARN depends on the account, known only once the target is read. */
  accessLogSettings?: { destinationArn: (accountId: string) => string; format: string };
}

export type AuthorizationType = 'NONE' | 'JWT';

export interface DeclaredRoute {
  routeKey: string;
  integration: IntegrationName;
  /** `JWT`: behind the declaration's authorizer (declared only when sign-in is on). */
  authorizationType: AuthorizationType;
}

/** Sign-in: a Cognito user pool, a public app client, and a JWT authorizer that trusts the pool's tokens. */
export interface DeclaredAuth {
  userPool: {
    name: string;
    /** A pool that exists already (DDN_COGNITO_USER_POOL_ID): used, never created nor deleted. */
    id?: string;
  };
  client: { name: string; explicitAuthFlows: ExplicitAuthFlowsType[] };
  authorizer: {
    name: string;
    identitySource: string;
    /** `{issuer base}/{poolId}`: the edge's public URL locally, `https://cognito-idp.{region}.amazonaws.com` on AWS. */
    issuer: (userPoolId: string) => string;
  };
}

/** The function's execution role, when deploy makes it (locally, without DDN_LAMBDA_ROLE). */
export interface DeclaredRole {
  name: string;
  /** The trust policy: Lambda may assume the role. */
  trustPolicy: string;
  managedPolicyArns: string[];
  /** Read and write on the two buckets, as the presign function's presigned URLs need. */
  inlinePolicy: { name: string; document: string };
}

/** The whole platform, as data. Built from the configuration; `plan` compares it to what a target has. */
export interface Declaration {
  region: string;
  buckets: Array<{ name: string; cors: CorsRule[] }>;
  /** Created before the function when absent; undefined when the role is configured (DDN_LAMBDA_ROLE) or on AWS. */
  role?: DeclaredRole;
  function: {
    name: string;
    runtime: string;
    handler: string;
    /** Undefined when no role is configured and none may be made up (AWS): creating the function then fails with a hint. */
    role: (accountId: string) => string | undefined;
    timeout: number;
    memorySize: number;
    environment: Record<string, string>;
  };
  api: {
    name: string;
    integrations: Record<IntegrationName, DeclaredIntegration>;
    routes: DeclaredRoute[];
    stage: DeclaredStage;
  };
  /** Present when sign-in is on (DDN_AUTH=cognito). */
  auth?: DeclaredAuth;
  /** A CloudWatch Logs group the declaration creates for the stage's access log (AWS; the edge writes files). */
  logGroup?: { name: string };
  permission: {
    statementId: string;
    principal: string;
    sourceArn: (accountId: string, apiId: string) => string;
  };
}

export interface DeclarationOptions {
  /** The S3 endpoint the presign function must sign for (the edge's public URL); unset on AWS. */
  s3Endpoint?: string;
  /** host[:port] of the inference backend; overrides DDN_ALB_DNS (ddn up points it at its inference server). */
  albDns?: string;
  /**
   * Access-log settings for the `$default` stage (the edge writes them to files). Without them, sign-in
   * creates a CloudWatch Logs group for the billing format (AWS).
   */
  accessLog?: { destinationArn: string; format: string };
  /** Where the user pool's tokens say they come from: the edge's public URL locally; AWS's Cognito endpoint by default. */
  cognitoIssuerBase?: string;
  /** Without DDN_LAMBDA_ROLE, deploy creates the role `{function}-role` (locally; AWS needs a configured one). */
  placeholderRole?: boolean;
}

export class DeclarationError extends Error {}

/** The platform of DESIGN.md for this configuration. */
export function buildDeclaration(config: Config, options: DeclarationOptions = {}): Declaration {
  const albDns = options.albDns ?? config.albDns;
  if (!albDns) {
    throw new DeclarationError(
      'DDN_ALB_DNS is not set: set it to the host[:port] of the inference service (its load balancer on AWS)',
    );
  }
  const region = config.region;
  const functionName = config.lambdaFunctionName;
  const environment: Record<string, string> = {
    DDN_IN_BUCKET: config.inBucket,
    DDN_OUT_BUCKET: config.outBucket,
    DDN_S3_PRESIGN_EXPIRES: String(config.presignExpires),
    DDN_S3_USE_ACCELERATE: String(config.useAccelerate),
  };
  if (options.s3Endpoint) environment.AWS_ENDPOINT_URL_S3 = options.s3Endpoint;
  const auth = config.auth === 'cognito' ? declareAuth(config, options) : undefined;
  const routeAuth: AuthorizationType = auth ? 'JWT' : 'NONE';
  const logGroup = auth && !options.accessLog ? { name: accessLogGroupName(config.apiName) } : undefined;
  const accessLog = options.accessLog && {
    destinationArn: () => options.accessLog!.destinationArn,
    format: auth ? BILLING_ACCESS_LOG_FORMAT : options.accessLog.format,
  };
  const makesRole = config.lambdaRole === undefined && options.placeholderRole === true;
  const role = makesRole ? executionRole(`${functionName}-role`, [config.inBucket, config.outBucket]) : undefined;
  return {
    region,
    role,
    buckets: [config.inBucket, config.outBucket].map((name) => ({ name, cors: DEFAULT_BUCKET_CORS })),
    function: {
      name: functionName,
      runtime: 'nodejs20.x',
      handler: 'index.handler',
      role: (accountId) => config.lambdaRole ?? (role ? `arn:aws:iam::${accountId}:role/${role.name}` : undefined),
      timeout: 10,
      memorySize: 256,
      environment,
    },
    api: {
      name: config.apiName,
      integrations: {
        lambda: {
          integrationType: 'AWS_PROXY',
          payloadFormatVersion: '2.0',
          integrationUri: (accountId) => `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
        },
        backend: {
          integrationType: 'HTTP_PROXY',
          integrationMethod: 'ANY',
          payloadFormatVersion: '1.0',
          integrationUri: () => `http://${albDns}`,
        },
      },
      routes: [
        { routeKey: 'GET /presign', integration: 'lambda', authorizationType: routeAuth },
        { routeKey: 'POST /presign', integration: 'lambda', authorizationType: routeAuth },
        { routeKey: 'GET /ping', integration: 'backend', authorizationType: 'NONE' },
        { routeKey: 'POST /invocations', integration: 'backend', authorizationType: routeAuth },
      ],
      stage: {
        stageName: '$default',
        autoDeploy: true,
        accessLogSettings:
          accessLog ??
          (logGroup && {
            destinationArn: (accountId: string) => `arn:aws:logs:${region}:${accountId}:log-group:${logGroup.name}`,
            format: BILLING_ACCESS_LOG_FORMAT,
          }),
      },
    },
    auth,
    logGroup,
    permission: {
      statementId: 'apigateway-access',
      principal: 'apigateway.amazonaws.com',
      sourceArn: (accountId, apiId) => `arn:aws:execute-api:${region}:${accountId}:${apiId}/*/*`,
    },
  };
}

function declareAuth(config: Config, options: DeclarationOptions): DeclaredAuth {
  const issuerBase = (options.cognitoIssuerBase ?? `https://cognito-idp.${config.region}.amazonaws.com`).replace(
    /\/+$/,
    '',
  );
  return {
    userPool: { name: `${config.apiName}-users`, id: config.cognitoUserPoolId },
    client: {
      name: `${config.apiName}-client`,
      explicitAuthFlows: [...SIGN_IN_AUTH_FLOWS],
    },
    authorizer: {
      name: `${config.apiName}-cognito`,
      identitySource: '$request.header.Authorization',
      issuer: (userPoolId) => `${issuerBase}/${userPoolId}`,
    },
  };
}

/** The CloudWatch Logs group of the stage's access log on AWS (`ddn usage --aws` reads it). */
export function accessLogGroupName(apiName: string): string {
  return `/ddn/${apiName}`;
}

/**
 * The billing pipeline's access-log format (one JSON line per request, billed to the Cognito user), with
 * `responseLatency` added at the end so that `ddn usage` can report latency; every billing field is kept.
 */
export const BILLING_ACCESS_LOG_FORMAT =
  '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","user":"$context.authorizer.claims.cognito:username",' +
  '"sub":"$context.authorizer.claims.sub","requestTime":$context.requestTimeEpoch,"httpMethod":"$context.httpMethod",' +
  '"routeKey":"$context.routeKey","path":"$context.path","status":"$context.status","protocol":"$context.protocol",' +
  '"responseLength":$context.responseLength,"responseLatency":$context.responseLatency}';

/** The endpoint AWS gives an HTTP API; the edge returns its own `apiEndpoint`, which wins when known. */
export function awsApiEndpoint(apiId: string, region: string): string {
  return `https://${apiId}.execute-api.${region}.amazonaws.com`;
}

const objectsOf = (bucket: string): string => `arn:aws:s3:::${bucket}/*`;

/** A Lambda execution role: logs (AWSLambdaBasicExecutionRole) and objects of the buckets. */
export function executionRole(name: string, buckets: string[]): DeclaredRole {
  return {
    name,
    trustPolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }),
    managedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
    inlinePolicy: {
      name: 'ddn-buckets',
      document: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: buckets.map(objectsOf) }],
      }),
    },
  };
}
