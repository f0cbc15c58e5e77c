import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { StoredAlias, StoredFunction } from '../../state/lambda-metadata.ts';
import { functionArn } from '../arn.ts';
import { conflict, invalidParameter, notFound, preconditionFailed } from '../errors.ts';
import { parseInput } from '../functions.ts';
import { jsonBody } from './body.ts';
import type { LambdaContext, LambdaHandlers } from './types.ts';
import { unqualified } from './versions.ts';

const aliasName = z
  .string()
  .regex(
    /^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/,
    'Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)',
  );
const functionVersion = z
  .string()
  .regex(/^(\$LATEST|[0-9]+)$/, 'Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)');
const description = z.string().max(256, 'Member must have length less than or equal to 256');
const routingConfig = z.object({
  AdditionalVersionWeights: z.record(functionVersion, z.number().min(0).max(1)).optional(),
});

const createAliasInput = z.object({
  Name: aliasName,
  FunctionVersion: functionVersion,
  Description: description.optional(),
  RoutingConfig: routingConfig.optional(),
});

const updateAliasInput = z.object({
  FunctionVersion: functionVersion.optional(),
  Description: description.optional(),
  RoutingConfig: routingConfig.optional(),
  RevisionId: z.string().optional(),
});

function aliasArn(ctx: LambdaContext, alias: StoredAlias): string {
  return functionArn(ctx.region, ctx.accountId, alias.functionName, alias.name);
}

function aliasConfiguration(ctx: LambdaContext, alias: StoredAlias): Record<string, unknown> {
  return {
    AliasArn: aliasArn(ctx, alias),
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    ...(Object.keys(alias.weights).length > 0 && { RoutingConfig: { AdditionalVersionWeights: alias.weights } }),
    RevisionId: alias.revisionId,
  };
}

function existingAlias(ctx: LambdaContext, fn: StoredFunction, name: string): StoredAlias {
  const alias = ctx.metadata.alias(fn.name, name);
  if (!alias) throw notFound(`Cannot find alias arn: ${functionArn(ctx.region, ctx.accountId, fn.name, name)}`);
  return alias;
}

/** Checks that the alias's versions exist and that its routing is one published version other than its own. */
function checkVersions(ctx: LambdaContext, fn: StoredFunction, version: string, weights: Record<string, number>): void {
  for (const v of [version, ...Object.keys(weights)]) {
    if (v !== '$LATEST' && !ctx.metadata.version(fn.name, v)) {
      throw notFound(`Function not found: ${functionArn(ctx.region, ctx.accountId, fn.name, v)}`);
    }
  }
  const additional = Object.keys(weights);
  if (additional.length === 0) return;
  // Unconfirmed: Lambda's exact messages for these routing mistakes.
  if (additional.length > 1)
    throw invalidParameter('Number of items in AdditionalVersionWeights cannot be greater than 1');
  if (version === '$LATEST' || additional[0] === '$LATEST') {
    throw invalidParameter('$LATEST is not supported for an alias pointing to more than 1 version');
  }
  if (additional[0] === version) {
    throw invalidParameter(
      `Invalid function version ${version}. Function version ${version} is already included in routing configuration.`,
    );
  }
}

/** Aliases: CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases. */
export const aliasOperations: LambdaHandlers = {
  CreateAlias(ctx, request, { FunctionName }) {
    const fn = ctx.find(unqualified(FunctionName));
    const input = parseInput(createAliasInput, jsonBody(request));
    const weights = input.RoutingConfig?.AdditionalVersionWeights ?? {};
    checkVersions(ctx, fn, input.FunctionVersion, weights);
    const alias: StoredAlias = {
      functionName: fn.name,
      name: input.Name,
      functionVersion: input.FunctionVersion,
      description: input.Description ?? '',
      weights,
      revisionId: randomUUID(),
    };
    if (!ctx.metadata.putAlias(alias)) throw conflict(`Alias already exists: ${aliasArn(ctx, alias)}`);
    return { status: 201, body: aliasConfiguration(ctx, alias) };
  },

  GetAlias(ctx, _request, { FunctionName, Name }) {
    const fn = ctx.find(unqualified(FunctionName));
    return { status: 200, body: aliasConfiguration(ctx, existingAlias(ctx, fn, Name)) };
  },

  UpdateAlias(ctx, request, { FunctionName, Name }) {
    const fn = ctx.find(unqualified(FunctionName));
    const current = existingAlias(ctx, fn, Name);
    const input = parseInput(updateAliasInput, jsonBody(request));
    if (input.RevisionId !== undefined && input.RevisionId !== current.revisionId) throw preconditionFailed();
    const alias: StoredAlias = {
      ...current,
      functionVersion: input.FunctionVersion ?? current.functionVersion,
      description: input.Description ?? current.description,
      weights: input.RoutingConfig ? (input.RoutingConfig.AdditionalVersionWeights ?? {}) : current.weights,
      revisionId: randomUUID(),
    };
    checkVersions(ctx, fn, alias.functionVersion, alias.weights);
    if (!ctx.metadata.putAlias(alias, current.revisionId)) throw preconditionFailed();
    return { status: 200, body: aliasConfiguration(ctx, alias) };
  },

  DeleteAlias(ctx, _request, { FunctionName, Name }) {
    const fn = ctx.find(unqualified(FunctionName));
    ctx.metadata.deleteAlias(fn.name, Name);
    return { status: 204 };
  },

  ListAliases(ctx, request, { FunctionName }) {
    const fn = ctx.find(unqualified(FunctionName));
    const version = request.query.get('FunctionVersion');
    const aliases = ctx.metadata
      .aliases(fn.name)
      .filter((a) => version === null || a.functionVersion === version || version in a.weights);
    return { status: 200, body: { Aliases: aliases.map((a) => aliasConfiguration(ctx, a)) } };
  },
};
