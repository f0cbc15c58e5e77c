import { randomUUID } from 'node:crypto';
import { PageTokens } from '../../protocols/pagination.ts';
import { AwsError } from '../../protocols/aws-error.ts';
import type { StoredFunction } from '../../state/lambda-metadata.ts';
import { functionArn, parseFunctionRef } from '../arn.ts';
import { CODE_PATH } from '../code-server.ts';
import { conflict, invalidParameter, preconditionFailed } from '../errors.ts';
import {
  createFunctionInput,
  lambdaTimestamp,
  parseInput,
  settingsFromCreate,
  settingsFromUpdate,
  updateCodeInput,
  updateConfigurationInput,
} from '../functions.ts';
import { jsonBody } from './body.ts';
import type { LambdaContext, LambdaHandlers } from './types.ts';
import { publishLatest, unqualified } from './versions.ts';
import { functionLayers, releaseLayerBlobs } from './layers.ts';
import type { RestJsonReply } from '../../protocols/rest-json-operations.ts';

const FUNCTION_PAGES = new PageTokens('functions');

/** Functions: create, list, read, update (configuration, code) and delete. */
export const functionOperations: LambdaHandlers = {
  async CreateFunction(ctx, request) {
    const input = parseInput(createFunctionInput, jsonBody(request));
    ctx.checkRole(input.Role);
    const layers = functionLayers(ctx, input.Layers);
    const settings = { ...settingsFromCreate(input), ...(layers?.length && { layers }) };
    checkNewName(ctx, input.FunctionName);
    const zip = await ctx.deploymentPackage(input.Code, 'CreateFunction');
    // Checked again: another CreateFunction may have taken the name while the code was read.
    checkNewName(ctx, input.FunctionName);
    await ctx.checkSizeWithLayers(zip, layers);
    const stored = await ctx.storeCode(zip);
    const fn: StoredFunction = {
      name: input.FunctionName,
      settings,
      ...stored,
      revisionId: randomUUID(),
      lastModified: lambdaTimestamp(),
    };
    if (!ctx.metadata.insert(fn)) {
      await ctx.code.remove(stored.codeBlob);
      throw conflict(`Function already exist: ${input.FunctionName}`);
    }
    ctx.lifecycle.created(fn.name);
    return { status: 201, body: ctx.configuration(input.Publish ? publishLatest(ctx, fn) : fn) };
  },

  ListFunctions(ctx, request) {
    const maxItems = Number(request.query.get('MaxItems') ?? 50);
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10000) {
      throw new AwsError(
        400,
        'ValidationException',
        `1 validation error detected: Value '${request.query.get('MaxItems')}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`,
      );
    }
    const limit = Math.min(maxItems, 50);
    const marker = request.query.get('Marker');
    const after = marker === null ? '' : FUNCTION_PAGES.decode(marker);
    // unconfirmed: Lambda's exact message for a Marker it did not make.
    if (after === undefined) throw invalidParameter(`Invalid Marker: ${marker}`);
    const page = ctx.metadata.list(after, limit + 1);
    const functions = page.slice(0, limit);
    const body: Record<string, unknown> = { Functions: functions.map((f) => ctx.configuration(f)) };
    if (page.length > limit) body.NextMarker = FUNCTION_PAGES.encode(functions.at(-1)!.name);
    return { status: 200, body };
  },

  GetFunction(ctx, request, { FunctionName }) {
    const fn = ctx.find(parseFunctionRef(FunctionName), request.query.get('Qualifier'));
    const body: Record<string, unknown> = {
      Configuration: ctx.configuration(fn),
      Code: { RepositoryType: 'S3', Location: `${ctx.publicUrl}${CODE_PATH}/${fn.codeBlob}` },
    };
    if (Object.keys(fn.settings.tags).length > 0) body.Tags = fn.settings.tags;
    if (fn.reservedConcurrency !== undefined)
      body.Concurrency = { ReservedConcurrentExecutions: fn.reservedConcurrency };
    return { status: 200, body };
  },

  GetFunctionConfiguration(ctx, request, { FunctionName }) {
    return {
      status: 200,
      body: ctx.configuration(ctx.find(parseFunctionRef(FunctionName), request.query.get('Qualifier'))),
    };
  },

  async DeleteFunction(ctx, request, { FunctionName }) {
    const ref = parseFunctionRef(FunctionName);
    const qualifier = request.query.get('Qualifier') ?? ref.qualifier;
    if (qualifier !== undefined && qualifier !== '$LATEST' && !/^\d+$/.test(qualifier)) {
      // Unconfirmed: Lambda's message for an alias given as DeleteFunction's qualifier.
      throw invalidParameter(`Deletion of aliases is not supported by DeleteFunction; use DeleteAlias: ${qualifier}`);
    }
    const fn = ctx.find(ref, qualifier);
    if (fn.version !== undefined) return deleteVersion(ctx, fn);
    if (qualifier === '$LATEST')
      throw invalidParameter('$LATEST version cannot be deleted without deleting the function.');
    const versions = ctx.metadata.versions(fn.name);
    const blobs = new Set([fn.codeBlob, ...versions.map((v) => v.codeBlob)]);
    ctx.metadata.delete(fn.name);
    ctx.lifecycle.deleted(fn.name);
    ctx.retirePool(fn.name, true);
    for (const blob of blobs) await ctx.code.remove(blob);
    await releaseLayerBlobs(
      ctx,
      [fn, ...versions].flatMap((f) => f.settings.layers ?? []),
    );
    return { status: 204 };
  },

  async UpdateFunctionConfiguration(ctx, request, { FunctionName }) {
    const fn = ctx.find(unqualified(FunctionName));
    const input = parseInput(updateConfigurationInput, jsonBody(request));
    ctx.checkRole(input.Role);
    if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId) throw preconditionFailed();
    ctx.lifecycle.checkUpdatable(fn.name, functionArn(ctx.region, ctx.accountId, fn.name));
    const layers = functionLayers(ctx, input.Layers);
    await ctx.checkSizeWithLayers(fn.codeBlob, layers);
    const updated: StoredFunction = {
      ...fn,
      settings: { ...settingsFromUpdate(fn.settings, input), ...(layers && { layers }) },
      revisionId: randomUUID(),
      lastModified: lambdaTimestamp(),
    };
    if (!ctx.metadata.update(updated, fn.revisionId)) throw preconditionFailed();
    ctx.lifecycle.updated(fn.name);
    ctx.retirePool(fn.name);
    if (layers) await releaseLayerBlobs(ctx, fn.settings.layers ?? []);
    return { status: 200, body: ctx.configuration(updated) };
  },

  async UpdateFunctionCode(ctx, request, { FunctionName }) {
    const fn = ctx.find(unqualified(FunctionName));
    const input = parseInput(updateCodeInput, jsonBody(request));
    if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId) throw preconditionFailed();
    const zip = await ctx.deploymentPackage(input, 'UpdateFunctionCode');
    await ctx.checkSizeWithLayers(zip, fn.settings.layers);
    if (input.DryRun) return { status: 200, body: ctx.configuration(fn) };
    ctx.lifecycle.checkUpdatable(fn.name, functionArn(ctx.region, ctx.accountId, fn.name));
    const stored = await ctx.storeCode(zip);
    const updated: StoredFunction = { ...fn, ...stored, revisionId: randomUUID(), lastModified: lambdaTimestamp() };
    if (!ctx.metadata.update(updated, fn.revisionId)) {
      await ctx.code.remove(stored.codeBlob);
      throw preconditionFailed();
    }
    ctx.lifecycle.updated(fn.name);
    ctx.retirePool(fn.name);
    if (!ctx.metadata.blobInUse(fn.codeBlob)) await ctx.code.remove(fn.codeBlob);
    return { status: 200, body: ctx.configuration(input.Publish ? publishLatest(ctx, updated) : updated) };
  },
};

/** Deletes a published version, unless an alias uses it. */
async function deleteVersion(ctx: LambdaContext, version: StoredFunction): Promise<RestJsonReply> {
  const v = version.version!;
  const users = ctx.metadata.aliases(version.name).filter((a) => a.functionVersion === v || v in a.weights);
  if (users.length > 0) {
    throw conflict(
      `Unable to delete version because the following aliases reference it: [${users.map((a) => a.name).join(', ')}]`,
    );
  }
  ctx.metadata.deleteVersion(version.name, v);
  ctx.retirePool(`${version.name}:${v}`);
  if (!ctx.metadata.blobInUse(version.codeBlob)) await ctx.code.remove(version.codeBlob);
  await releaseLayerBlobs(ctx, version.settings.layers ?? []);
  return { status: 204 };
}

function checkNewName(ctx: LambdaContext, name: string): void {
  if (ctx.metadata.get(name)) throw conflict(`Function already exist: ${name}`);
}
