import { z } from 'zod';
import type { EdgeRequest } from '../../edge/types.ts';
import type { StoredEventInvokeConfig } from '../../state/lambda-metadata.ts';
import { functionArn, parseFunctionRef } from '../arn.ts';
import { notFound } from '../errors.ts';
import { parseInput } from '../functions.ts';
import { jsonBody } from './body.ts';
import type { LambdaContext, LambdaHandlers } from './types.ts';

const destination = z.object({ Destination: z.string().optional() });
const eventInvokeConfigInput = z.object({
  MaximumRetryAttempts: z
    .number()
    .int()
    .min(0, 'Member must have value greater than or equal to 0')
    .max(2, 'Member must have value less than or equal to 2')
    .optional(),
  MaximumEventAgeInSeconds: z
    .number()
    .int()
    .min(60, 'Member must have value greater than or equal to 60')
    .max(21600, 'Member must have value less than or equal to 21600')
    .optional(),
  DestinationConfig: z.object({ OnSuccess: destination.optional(), OnFailure: destination.optional() }).optional(),
});

/** The function and qualifier (`$LATEST` when none) a request names; the version or alias must exist. */
function target(
  ctx: LambdaContext,
  request: EdgeRequest,
  functionName: string,
): { name: string; qualifier: string; arn: string } {
  const ref = parseFunctionRef(functionName);
  const qualifier = request.query.get('Qualifier') ?? ref.qualifier ?? '$LATEST';
  const fn = ctx.find(ref, qualifier);
  return { name: fn.name, qualifier, arn: functionArn(ctx.region, ctx.accountId, fn.name, qualifier) };
}

function wire(arn: string, config: StoredEventInvokeConfig): Record<string, unknown> {
  return {
    LastModified: config.lastModified,
    FunctionArn: arn,
    ...(config.maximumRetryAttempts !== undefined && { MaximumRetryAttempts: config.maximumRetryAttempts }),
    ...(config.maximumEventAgeInSeconds !== undefined && { MaximumEventAgeInSeconds: config.maximumEventAgeInSeconds }),
    DestinationConfig: config.destinationConfig ?? { OnSuccess: {}, OnFailure: {} },
  };
}

function stored(
  input: z.infer<typeof eventInvokeConfigInput>,
  base: Partial<StoredEventInvokeConfig> = {},
): StoredEventInvokeConfig {
  return {
    maximumRetryAttempts: input.MaximumRetryAttempts ?? base.maximumRetryAttempts,
    maximumEventAgeInSeconds: input.MaximumEventAgeInSeconds ?? base.maximumEventAgeInSeconds,
    destinationConfig: input.DestinationConfig ?? base.destinationConfig,
    lastModified: Date.now() / 1000,
  };
}

function missing(arn: string) {
  return notFound(`The function ${arn} doesn't have an EventInvokeConfig`);
}

/** Asynchronous invocation settings: retries and event age of Event invocations (destinations are stored only). */
export const eventInvokeConfigOperations: LambdaHandlers = {
  PutFunctionEventInvokeConfig(ctx, request, { FunctionName }) {
    const t = target(ctx, request, FunctionName);
    const config = stored(parseInput(eventInvokeConfigInput, jsonBody(request)));
    ctx.metadata.putEventInvokeConfig(t.name, t.qualifier, config);
    return { status: 200, body: wire(t.arn, config) };
  },

  UpdateFunctionEventInvokeConfig(ctx, request, { FunctionName }) {
    const t = target(ctx, request, FunctionName);
    const current = ctx.metadata.eventInvokeConfig(t.name, t.qualifier);
    if (!current) throw missing(t.arn);
    const config = stored(parseInput(eventInvokeConfigInput, jsonBody(request)), current);
    ctx.metadata.putEventInvokeConfig(t.name, t.qualifier, config);
    return { status: 200, body: wire(t.arn, config) };
  },

  GetFunctionEventInvokeConfig(ctx, request, { FunctionName }) {
    const t = target(ctx, request, FunctionName);
    const config = ctx.metadata.eventInvokeConfig(t.name, t.qualifier);
    if (!config) throw missing(t.arn);
    return { status: 200, body: wire(t.arn, config) };
  },

  DeleteFunctionEventInvokeConfig(ctx, request, { FunctionName }) {
    const t = target(ctx, request, FunctionName);
    if (!ctx.metadata.deleteEventInvokeConfig(t.name, t.qualifier)) throw missing(t.arn);
    return { status: 204 };
  },

  ListFunctionEventInvokeConfigs(ctx, _request, { FunctionName }) {
    const fn = ctx.find(parseFunctionRef(FunctionName));
    const configs = ctx.metadata
      .eventInvokeConfigs(fn.name)
      .map((c) => wire(functionArn(ctx.region, ctx.accountId, fn.name, c.qualifier), c.config));
    return { status: 200, body: { FunctionEventInvokeConfigs: configs } };
  },
};
