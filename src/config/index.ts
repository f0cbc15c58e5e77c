import path from 'node:path';
import { existsSync } from 'node:fs';
import dotenv from 'dotenv';
import { z } from 'zod';

/** Loads `.env` from `dir` into `env` without overriding variables that are already set. */
export function loadDotenv(dir = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = path.join(dir, '.env');
  if (!existsSync(file)) return undefined;
  dotenv.config({ path: file, processEnv: env, override: false, quiet: true });
  return file;
}

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .string()
  .optional()
  .transform((v) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim()));
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const bucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be a valid S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)',
  );

const schema = z.object({
  DDN_EDGE_HOST: z.string().min(1).default('127.0.0.1'),
  DDN_EDGE_PORT: port.default(4566),
  DDN_PUBLIC_URL: optionalString,
  DDN_DATA_DIR: z.string().min(1).default('./.ddn'),
  DDN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DDN_IN_BUCKET: bucketName.default('ddn-in-bucket'),
  DDN_OUT_BUCKET: bucketName.default('ddn-out-bucket'),
  DDN_LOCAL_ACCESS_KEY_ID: optionalString,
  DDN_LOCAL_SECRET_ACCESS_KEY: optionalString,
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must look like us-east-1')
    .default('us-east-1'),
  ACCOUNT_ID: z
    .string()
    .regex(/^\d{12}$/, 'must be 12 digits')
    .default('000000000000'),
  DDN_LAMBDA_FUNC_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, - or _')
    .default('ddn-presign-lambda'),
  DDN_LAMBDA_ROLE: optionalString,
  DDN_LAMBDA_STATE_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(200),
  DDN_LAMBDA_RETRY_BASE_MS: z.coerce.number().int().min(0).max(600_000).default(60_000),
  DDN_APIGW_NAME: z.string().min(1).max(128).default('ddn-api'),
  DDN_APIGW_ENDPOINT: optionalString,
  DDN_ALB_DNS: optionalString,
  DDN_S3_PRESIGN_EXPIRES: z.coerce.number().int().min(1).default(3600),
  DDN_S3_USE_ACCELERATE: bool,
  DDN_INFERENCE_HOST: z.string().min(1).default('127.0.0.1'),
  DDN_INFERENCE_PORT: port.default(50101),
  DDN_INFERENCE_CONCURRENCY: z.coerce.number().int().min(1).default(1),
  DDN_INFERENCE_TIMEOUT_S: z.coerce.number().positive().default(120),
  DDN_INFERENCE_MAX_PIXELS: z.coerce.number().int().positive().optional(),
  DDN_BODY_IDLE_TIMEOUT_S: z.coerce.number().positive().default(20),
  DDN_MODEL_DIR: optionalString,
  DDN_TEST_IMAGE_PATH: optionalString,
  DDN_TEST_IMAGE_KEY: optionalString,
  DDN_AUTH: z.enum(['none', 'cognito']).default('none'),
  DDN_COGNITO_USER_POOL_ID: optionalString,
  DDN_COGNITO_CLIENT_ID: optionalString,
  DDN_COGNITO_ISSUER: optionalString,
  DDN_API_TOKEN: optionalString,
});

export type RawConfig = z.infer<typeof schema>;

export interface Config {
  edgeHost: string;
  edgePort: number;
  /** DDN_PUBLIC_URL: the URL clients use to reach the edge, when it is not the listening address. */
  publicUrl?: string;
  dataDir: string;
  logLevel: RawConfig['DDN_LOG_LEVEL'];
  inBucket: string;
  outBucket: string;
  localAccessKeyId?: string;
  localSecretAccessKey?: string;
  region: string;
  accountId: string;
  lambdaFunctionName: string;
  lambdaRole?: string;
  /** How long a created function stays Pending and an updated one InProgress (AWS's states, for waiters). */
  lambdaStateDelayMs: number;
  /** The first retry delay of a failed asynchronous invocation; the second is twice it (AWS: 1 and 2 minutes). */
  lambdaRetryBaseMs: number;
  apiName: string;
  apiEndpoint?: string;
  albDns?: string;
  presignExpires: number;
  useAccelerate: boolean;
  inferenceHost: string;
  inferencePort: number;
  inferenceConcurrency: number;
  inferenceTimeoutS: number;
  /** DDN_INFERENCE_MAX_PIXELS; unset: derived from memory (src/inference/limits.ts). */
  inferenceMaxPixels?: number;
  /** DDN_BODY_IDLE_TIMEOUT_S: a request body that sends nothing for this long is answered and closed. */
  bodyIdleTimeoutS: number;
  modelDir?: string;
  testImagePath?: string;
  testImageKey?: string;
  /** DDN_AUTH: `cognito` puts the API's data routes behind a Cognito user pool and a JWT authorizer. */
  auth: 'none' | 'cognito';
  /** DDN_COGNITO_USER_POOL_ID: an existing pool to use instead of creating one. */
  cognitoUserPoolId?: string;
  /** DDN_COGNITO_CLIENT_ID / DDN_COGNITO_ISSUER: written to .env by deploy; `ddn login` signs in with them. */
  cognitoClientId?: string;
  cognitoIssuer?: string;
  /** DDN_API_TOKEN: a token sent as is, for scripts (no login, no refresh). */
  apiToken?: string;
}

export class ConfigError extends Error {}

/** Validates the DDN_* (and AWS_REGION / ACCOUNT_ID) variables; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`,
    );
    throw new ConfigError(
      `invalid configuration:\n${lines.join('\n')}\nFix the variables above in your environment or .env.`,
    );
  }
  const c = parsed.data;
  return {
    edgeHost: c.DDN_EDGE_HOST,
    edgePort: c.DDN_EDGE_PORT,
    publicUrl: c.DDN_PUBLIC_URL?.replace(/\/+$/, ''),
    dataDir: path.resolve(cwd, c.DDN_DATA_DIR),
    logLevel: c.DDN_LOG_LEVEL,
    inBucket: c.DDN_IN_BUCKET,
    outBucket: c.DDN_OUT_BUCKET,
    localAccessKeyId: c.DDN_LOCAL_ACCESS_KEY_ID,
    localSecretAccessKey: c.DDN_LOCAL_SECRET_ACCESS_KEY,
    region: c.AWS_REGION,
    accountId: c.ACCOUNT_ID,
    lambdaFunctionName: c.DDN_LAMBDA_FUNC_NAME,
    lambdaRole: c.DDN_LAMBDA_ROLE,
    lambdaStateDelayMs: c.DDN_LAMBDA_STATE_DELAY_MS,
    lambdaRetryBaseMs: c.DDN_LAMBDA_RETRY_BASE_MS,
    apiName: c.DDN_APIGW_NAME,
    apiEndpoint: c.DDN_APIGW_ENDPOINT,
    albDns: c.DDN_ALB_DNS,
    presignExpires: Math.min(c.DDN_S3_PRESIGN_EXPIRES, 604800),
    useAccelerate: c.DDN_S3_USE_ACCELERATE,
    inferenceHost: c.DDN_INFERENCE_HOST,
    inferencePort: c.DDN_INFERENCE_PORT,
    inferenceConcurrency: c.DDN_INFERENCE_CONCURRENCY,
    inferenceTimeoutS: c.DDN_INFERENCE_TIMEOUT_S,
    inferenceMaxPixels: c.DDN_INFERENCE_MAX_PIXELS,
    bodyIdleTimeoutS: c.DDN_BODY_IDLE_TIMEOUT_S,
    modelDir: c.DDN_MODEL_DIR,
    testImagePath: c.DDN_TEST_IMAGE_PATH,
    testImageKey: c.DDN_TEST_IMAGE_KEY,
    auth: c.DDN_AUTH,
    cognitoUserPoolId: c.DDN_COGNITO_USER_POOL_ID,
    cognitoClientId: c.DDN_COGNITO_CLIENT_ID,
    cognitoIssuer: c.DDN_COGNITO_ISSUER?.replace(/\/+$/, ''),
    apiToken: c.DDN_API_TOKEN,
  };
}
