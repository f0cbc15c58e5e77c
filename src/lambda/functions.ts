import { z } from 'zod';
import { AwsError } from '../protocols/aws-error.ts';
import type { StoredFunction, StoredFunctionSettings } from '../state/lambda-metadata.ts';
import { functionArn } from './arn.ts';
import { invalidParameter } from './errors.ts';
import { checkTags } from './tags.ts';
import type { FunctionStatus } from './lifecycle.ts';
import { SUPPORTED_RUNTIMES } from './runtime/launch.ts';

/** Variables Lambda sets itself; a function may not define them. */
const RESERVED_VARIABLES = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

const role = z
  .string()
  .regex(
    /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/,
    'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+',
  );
const handler = z
  .string()
  .max(128)
  .regex(/^[^\s]+$/, 'Member must satisfy regular expression pattern: [^\\s]+');
const timeout = z
  .number()
  .int()
  .min(1, 'Member must have value greater than or equal to 1')
  .max(900, 'Member must have value less than or equal to 900');
const memorySize = z
  .number()
  .int()
  .min(128, 'Member must have value greater than or equal to 128')
  .max(10240, 'Member must have value less than or equal to 10240');
const environment = z.object({ Variables: z.record(z.string(), z.string()).optional() });
const description = z.string().max(256, 'Member must have length less than or equal to 256');

export const createFunctionInput = z.object({
  FunctionName: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ (1-64 characters)'),
  Runtime: z.string().optional(),
  Role: role,
  Handler: handler.optional(),
  Code: z.object({
    ZipFile: z.string().optional(),
    S3Bucket: z.string().optional(),
    S3Key: z.string().optional(),
    S3ObjectVersion: z.string().optional(),
    ImageUri: z.string().optional(),
  }),
  Description: description.optional(),
  Timeout: timeout.optional(),
  MemorySize: memorySize.optional(),
  Publish: z.boolean().optional(),
  PackageType: z.enum(['Zip', 'Image']).optional(),
  Environment: environment.optional(),
  Architectures: z
    .array(z.enum(['x86_64', 'arm64']))
    .max(1)
    .optional(),
  EphemeralStorage: z.object({ Size: z.number().int().min(512).max(10240) }).optional(),
  Tags: z.record(z.string(), z.string()).optional(),
  Layers: z.array(z.string()).optional(),
});

export const updateConfigurationInput = z.object({
  Role: role.optional(),
  Handler: handler.optional(),
  Description: description.optional(),
  Timeout: timeout.optional(),
  MemorySize: memorySize.optional(),
  Environment: environment.optional(),
  Runtime: z.string().optional(),
  EphemeralStorage: z.object({ Size: z.number().int().min(512).max(10240) }).optional(),
  RevisionId: z.string().optional(),
  Layers: z.array(z.string()).optional(),
});

export const updateCodeInput = z.object({
  ZipFile: z.string().optional(),
  S3Bucket: z.string().optional(),
  S3Key: z.string().optional(),
  S3ObjectVersion: z.string().optional(),
  ImageUri: z.string().optional(),
  Publish: z.boolean().optional(),
  DryRun: z.boolean().optional(),
  RevisionId: z.string().optional(),
  Architectures: z
    .array(z.enum(['x86_64', 'arm64']))
    .max(1)
    .optional(),
});

/** Validates a request body against a schema; failures read like AWS's `ValidationException`. */
export function parseInput<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const details = issues.map((i) => {
    const at = i.path.map((p, n) => (n === 0 ? lowerFirst(String(p)) : String(p))).join('.');
    return `Value at '${at}' failed to satisfy constraint: ${i.message}`;
  });
  throw new AwsError(
    400,
    'ValidationException',
    `${issues.length} validation error${issues.length === 1 ? '' : 's'} detected: ${details.join('; ')}`,
  );
}

export function checkRuntime(runtime: string | undefined): string {
  if (runtime === undefined)
    throw invalidParameter(
      'Runtime and Handler are mandatory parameters for functions created with deployment packages.',
    );
  if (!SUPPORTED_RUNTIMES.includes(runtime)) {
    throw invalidParameter(
      `The runtime parameter of ${runtime} is not supported by the local Lambda service. Supported runtimes: ${SUPPORTED_RUNTIMES.join(', ')}.`,
    );
  }
  return runtime;
}

export function checkEnvironment(variables: Record<string, string> = {}): Record<string, string> {
  const reserved = Object.keys(variables).filter((k) => RESERVED_VARIABLES.has(k));
  if (reserved.length > 0) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  const badKey = Object.keys(variables).find((k) => !/^[a-zA-Z][a-zA-Z0-9_]+$/.test(k));
  if (badKey !== undefined) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains invalid keys. Invalid keys: ${badKey}`,
    );
  }
  if (Buffer.byteLength(JSON.stringify(variables)) > 4096) {
    throw invalidParameter(
      'Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit.',
    );
  }
  return variables;
}

export function settingsFromCreate(input: z.infer<typeof createFunctionInput>): StoredFunctionSettings {
  if (input.PackageType === 'Image')
    throw invalidParameter('Container images are not supported by the local Lambda service; use PackageType Zip.');
  if (input.Handler === undefined)
    throw invalidParameter(
      'Runtime and Handler are mandatory parameters for functions created with deployment packages.',
    );
  return {
    runtime: checkRuntime(input.Runtime),
    role: input.Role,
    handler: input.Handler,
    description: input.Description ?? '',
    timeout: input.Timeout ?? 3,
    memorySize: input.MemorySize ?? 128,
    environment: checkEnvironment(input.Environment?.Variables),
    architectures: input.Architectures ?? ['x86_64'],
    ephemeralStorage: input.EphemeralStorage?.Size ?? 512,
    tags: checkedTags(input.Tags ?? {}),
  };
}

function checkedTags(tags: Record<string, string>): Record<string, string> {
  checkTags(tags);
  return tags;
}

export function settingsFromUpdate(
  current: StoredFunctionSettings,
  input: z.infer<typeof updateConfigurationInput>,
): StoredFunctionSettings {
  return {
    ...current,
    runtime: input.Runtime === undefined ? current.runtime : checkRuntime(input.Runtime),
    role: input.Role ?? current.role,
    handler: input.Handler ?? current.handler,
    description: input.Description ?? current.description,
    timeout: input.Timeout ?? current.timeout,
    memorySize: input.MemorySize ?? current.memorySize,
    environment: input.Environment === undefined ? current.environment : checkEnvironment(input.Environment.Variables),
    ephemeralStorage: input.EphemeralStorage?.Size ?? current.ephemeralStorage,
  };
}

/** `FunctionConfiguration` as the API returns it. */
export function functionConfiguration(
  fn: StoredFunction,
  region: string,
  accountId: string,
  status: FunctionStatus,
): Record<string, unknown> {
  const s = fn.settings;
  return {
    FunctionName: fn.name,
    FunctionArn: functionArn(region, accountId, fn.name, fn.version),
    Runtime: s.runtime,
    Role: s.role,
    Handler: s.handler,
    CodeSize: fn.codeSize,
    Description: s.description,
    Timeout: s.timeout,
    MemorySize: s.memorySize,
    LastModified: fn.lastModified,
    CodeSha256: fn.codeSha256,
    Version: fn.version ?? '$LATEST',
    ...(s.layers?.length && { Layers: s.layers.map((l) => ({ Arn: l.arn, CodeSize: l.codeSize })) }),
    ...(Object.keys(s.environment).length > 0 ? { Environment: { Variables: s.environment } } : {}),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: fn.revisionId,
    ...status,
    PackageType: 'Zip',
    Architectures: s.architectures,
    EphemeralStorage: { Size: s.ephemeralStorage },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn.name}` },
  };
}

/** Lambda's timestamp format: `2024-01-31T12:34:56.789+0000`. */
export function lambdaTimestamp(date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
