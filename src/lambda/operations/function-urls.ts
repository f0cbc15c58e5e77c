import { z } from 'zod';
import type { EdgeRequest } from '../../edge/types.ts';
import { AwsError } from '../../protocols/aws-error.ts';
import { PageTokens, pageSize } from '../../protocols/pagination.ts';
import type { StoredFunctionUrl } from '../../state/lambda-function-urls.ts';
import { functionArn, parseFunctionRef } from '../arn.ts';
import { conflict, invalidParameter, notFound } from '../errors.ts';
import { functionUrl, functionUrlId } from '../function-url-address.ts';
import { parseInput } from '../functions.ts';
import { jsonBody } from './body.ts';
import type { LambdaContext, LambdaHandlers } from './types.ts';

const URL_PAGES = new PageTokens('function-urls');
const QUALIFIER = /^(?!\d+$)[0-9a-zA-Z_-]{1,128}$/;
const METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'PATCH', 'DELETE', '*']);

const headers = z.array(z.string().max(1024)).max(100);
const cors = z.object({
  AllowCredentials: z.boolean().optional(),
  AllowHeaders: headers.optional(),
  AllowMethods: z.array(z.string().max(6)).max(6).optional(),
  AllowOrigins: z.array(z.string().min(1).max(253)).max(100).optional(),
  ExposeHeaders: headers.optional(),
  MaxAge: z.number().int().min(0).max(86400).optional(),
});
const authType = z.enum(['NONE', 'AWS_IAM'], { message: 'Member must satisfy enum value set: [AWS_IAM, NONE]' });
const invokeMode = z.enum(['BUFFERED', 'RESPONSE_STREAM'], {
  message: 'Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]',
});
const createInput = z.object({ AuthType: authType, Cors: cors.optional(), InvokeMode: invokeMode.optional() });
const updateInput = z.object({
  AuthType: authType.optional(),
  Cors: cors.optional(),
  InvokeMode: invokeMode.optional(),
});

/** The function and qualifier (`$LATEST`, or an alias that must exist) a request names. */
function target(ctx: LambdaContext, request: EdgeRequest, functionName: string): { name: string; qualifier: string } {
  const ref = parseFunctionRef(functionName);
  const given = request.query.get('Qualifier');
  if (given !== null && ref.qualifier !== undefined && given !== ref.qualifier) {
    throw invalidParameter('The derived qualifier from the function name does not match the specified qualifier.');
  }
  const qualifier = given ?? ref.qualifier;
  // `$LATEST` is outside the model's pattern, but AWS takes it (Terraform's aws_lambda_function_url sends it).
  if (qualifier !== undefined && qualifier !== '$LATEST' && !QUALIFIER.test(qualifier)) {
    throw new AwsError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${qualifier}' at 'qualifier' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)',
    );
  }
  const fn = ctx.find(ref, qualifier);
  return { name: fn.name, qualifier: qualifier ?? '$LATEST' };
}

/** AllowMethods must name HTTP methods, and AllowOrigins origins (unconfirmed: AWS's exact messages). */
function checkCors(value: z.infer<typeof cors> | undefined): void {
  for (const method of value?.AllowMethods ?? []) {
    if (!METHODS.has(method.toUpperCase())) throw invalidParameter(`Invalid CORS AllowMethods value: ${method}`);
  }
  for (const origin of value?.AllowOrigins ?? []) {
    if (origin !== '*' && !/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(origin)) {
      throw invalidParameter(`Invalid CORS AllowOrigins value: ${origin}`);
    }
  }
}

function arnOf(ctx: LambdaContext, url: StoredFunctionUrl): string {
  return functionArn(
    ctx.region,
    ctx.accountId,
    url.functionName,
    url.qualifier === '$LATEST' ? undefined : url.qualifier,
  );
}

/** FunctionUrlConfig's wire shape; `created` leaves out LastModifiedTime, as CreateFunctionUrlConfig's reply does. */
function wire(ctx: LambdaContext, url: StoredFunctionUrl, created = false): Record<string, unknown> {
  return {
    FunctionUrl: functionUrl(ctx.publicUrl, url.urlId, ctx.region),
    FunctionArn: arnOf(ctx, url),
    AuthType: url.authType,
    ...(url.cors !== undefined && { Cors: url.cors }),
    CreationTime: url.creationTime,
    ...(!created && { LastModifiedTime: url.lastModifiedTime }),
    InvokeMode: url.invokeMode,
  };
}

function existing(ctx: LambdaContext, name: string, qualifier: string): StoredFunctionUrl {
  const url = ctx.functionUrls.get(name, qualifier);
  // Unconfirmed: Lambda's message for a function URL that does not exist.
  if (!url) throw notFound('The resource you requested does not exist.');
  return url;
}

/** Function URLs: Create/Get/Update/DeleteFunctionUrlConfig and ListFunctionUrlConfigs (served by FunctionUrlPlane). */
export const functionUrlOperations: LambdaHandlers = {
  CreateFunctionUrlConfig(ctx, request, { FunctionName }) {
    const t = target(ctx, request, FunctionName);
    const input = parseInput(createInput, jsonBody(request));
    checkCors(input.Cors);
    const now = new Date().toISOString();
    const url: StoredFunctionUrl = {
      functionName: t.name,
      qualifier: t.qualifier,
      urlId: functionUrlId(ctx.region, ctx.accountId, t.name, t.qualifier),
      authType: input.AuthType,
      ...(input.Cors !== undefined && { cors: input.Cors }),
      invokeMode: input.InvokeMode ?? 'BUFFERED',
      creationTime: now,
      lastModifiedTime: now,
    };
    if (!ctx.functionUrls.insert(url)) {
      // Unconfirmed: Lambda's exact message.
      throw conflict(
        `Failed to create function url config for [functionArn = ${arnOf(ctx, url)}]. ` +
          'Error message:  FunctionUrlConfig exists for this Lambda function',
      );
    }
    return { status: 201, body: wire(ctx, url, true) };
  },

  GetFunctionUrlConfig(ctx, request, { FunctionName }) {
    const t = target(ctx, request, FunctionName);
    return { status: 200, body: wire(ctx, existing(ctx, t.name, t.qualifier)) };
  },

  UpdateFunctionUrlConfig(ctx, request, { FunctionName }) {
    const t = target(ctx, request, FunctionName);
    const current = existing(ctx, t.name, t.qualifier);
    const input = parseInput(updateInput, jsonBody(request));
    checkCors(input.Cors);
    const url: StoredFunctionUrl = {
      ...current,
      authType: input.AuthType ?? current.authType,
      ...(input.Cors !== undefined && { cors: input.Cors }),
      invokeMode: input.InvokeMode ?? current.invokeMode,
      lastModifiedTime: new Date().toISOString(),
    };
    if (!ctx.functionUrls.update(url)) throw notFound('The resource you requested does not exist.');
    return { status: 200, body: wire(ctx, url) };
  },

  DeleteFunctionUrlConfig(ctx, request, { FunctionName }) {
    const t = target(ctx, request, FunctionName);
    if (!ctx.functionUrls.delete(t.name, t.qualifier)) throw notFound('The resource you requested does not exist.');
    return { status: 204 };
  },

  ListFunctionUrlConfigs(ctx, request, { FunctionName }) {
    const fn = ctx.find(parseFunctionRef(FunctionName));
    const raw = request.query.get('MaxItems');
    const limit = pageSize(raw, 50, 50);
    if (limit === undefined || Number(raw ?? 50) > 50) {
      throw new AwsError(
        400,
        'ValidationException',
        `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: ` +
          'Member must have value less than or equal to 50',
      );
    }
    const marker = request.query.get('Marker');
    const after = marker === null ? '' : URL_PAGES.decode(marker);
    // Unconfirmed: Lambda's exact message for a Marker it did not make.
    if (after === undefined) throw invalidParameter(`Invalid Marker: ${marker}`);
    const page = ctx.functionUrls.list(fn.name, after, limit + 1);
    const urls = page.slice(0, limit);
    const body: Record<string, unknown> = { FunctionUrlConfigs: urls.map((u) => wire(ctx, u)) };
    if (page.length > limit) body.NextMarker = URL_PAGES.encode(urls.at(-1)!.qualifier);
    return { status: 200, body };
  },
};
