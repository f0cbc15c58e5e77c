import { S3Client } from '@aws-sdk/client-s3';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { STSClient } from '@aws-sdk/client-sts';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import type { EdgeCredentials } from '../state/credentials.ts';

export interface Endpoint {
  /** `http://127.0.0.1:4566` for the local edge; undefined for real AWS. */
  url?: string;
  region: string;
  credentials?: EdgeCredentials;
}

/** Standard retry mode backs off and retries throttling and transient errors. */
const RETRIES = { retryMode: 'standard', maxAttempts: 6 } as const;

function common(endpoint: Endpoint) {
  return { region: endpoint.region, endpoint: endpoint.url, credentials: endpoint.credentials, ...RETRIES };
}

/** An S3 client for the edge (path-style) or for AWS (standard credential chain). */
export function s3Client(endpoint: Endpoint): S3Client {
  return new S3Client({ ...common(endpoint), forcePathStyle: endpoint.url !== undefined });
}

export function lambdaClient(endpoint: Endpoint): LambdaClient {
  return new LambdaClient(common(endpoint));
}

export function apiGatewayClient(endpoint: Endpoint): ApiGatewayV2Client {
  return new ApiGatewayV2Client(common(endpoint));
}

export function stsClient(endpoint: Endpoint): STSClient {
  return new STSClient(common(endpoint));
}

export function cognitoClient(endpoint: Endpoint): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient(common(endpoint));
}

export function logsClient(endpoint: Endpoint): CloudWatchLogsClient {
  return new CloudWatchLogsClient(common(endpoint));
}

export function iamClient(endpoint: Endpoint): IAMClient {
  return new IAMClient(common(endpoint));
}
