import { AwsError } from '../../protocols/aws-error.ts';
import { parseFunctionRef } from '../arn.ts';
import { invalidParameter } from '../errors.ts';
import type { InvokeOptions } from '../invoker.ts';
import type { LambdaHandlers } from './types.ts';

/** Invoke through the API (`POST .../invocations`): the headers in, the payload and the function's headers out. */
export const invokeOperations: LambdaHandlers = {
  async Invoke(ctx, request, { FunctionName }) {
    const ref = parseFunctionRef(FunctionName);
    const header = (name: string) => {
      const v = request.req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const invocationType = header('x-amz-invocation-type') ?? 'RequestResponse';
    if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
      throw new AwsError(
        400,
        'ValidationException',
        `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
      );
    }
    const logType = header('x-amz-log-type') ?? 'None';
    if (logType !== 'None' && logType !== 'Tail') {
      throw new AwsError(
        400,
        'ValidationException',
        `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]`,
      );
    }
    const clientContext = decodeClientContext(header('x-amz-client-context'));
    const qualifier = request.query.get('Qualifier') ?? undefined;
    const name = ref.qualifier ? `${ref.name}:${ref.qualifier}` : ref.name;
    const result = await ctx.invoke(name, request.body ?? Buffer.alloc(0), {
      invocationType: invocationType as InvokeOptions['invocationType'],
      logType,
      qualifier,
      clientContext,
    });
    const headers: Record<string, string> = { 'x-amz-executed-version': result.executedVersion };
    if (result.functionError) headers['x-amz-function-error'] = result.functionError;
    if (result.logResult !== undefined) headers['x-amz-log-result'] = result.logResult;
    if (result.statusCode !== 200) return { status: result.statusCode, headers };
    return { status: 200, headers, raw: { data: result.payload, contentType: 'application/json' } };
  },
};

function decodeClientContext(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > 3583) throw invalidParameter('Client context must be less than 3583 bytes.');
  const text = Buffer.from(value, 'base64').toString('utf8');
  try {
    JSON.parse(text);
  } catch {
    throw invalidParameter('Client context must be a valid Base64-encoded JSON object.');
  }
  return text;
}
