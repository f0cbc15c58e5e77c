import { z } from 'zod';
import type { EdgeRequest } from '../../edge/types.ts';
import { AwsError } from '../../protocols/aws-error.ts';
import type { StoredFunction } from '../../state/lambda-metadata.ts';
import { functionArn, parseFunctionRef } from '../arn.ts';
import { invalidParameter, notFound } from '../errors.ts';
import { parseInput } from '../functions.ts';
import { checkTags } from '../tags.ts';
import { jsonBody } from './body.ts';
import type { LambdaContext, LambdaHandlers } from './types.ts';

const tagResourceInput = z.object({ Tags: z.record(z.string(), z.string()) });

/** The function a tagging call's `Resource` ARN names; versions and aliases carry no tags of their own. */
function taggedFunction(ctx: LambdaContext, resource: string): StoredFunction {
  // Unconfirmed: Lambda's messages for a resource that is not a function ARN and for a qualified one.
  if (!resource.startsWith('arn:')) throw invalidParameter(`Invalid resource ARN: ${resource}`);
  const ref = parseFunctionRef(resource);
  if (ref.qualifier !== undefined) throw invalidParameter('Tags are not supported on function versions or aliases.');
  const fn = ctx.metadata.get(ref.name);
  if (!fn || resource !== functionArn(ctx.region, ctx.accountId, ref.name))
    throw notFound(`Function not found: ${resource}`);
  return fn;
}

function tagKeys(request: EdgeRequest): string[] {
  const keys = request.query.getAll('tagKeys');
  if (keys.length === 0) {
    throw new AwsError(
      400,
      'ValidationException',
      "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
    );
  }
  return keys;
}

/** Tags on functions: TagResource, UntagResource, ListTags (and `Tags` on CreateFunction). */
export const tagOperations: LambdaHandlers = {
  TagResource(ctx, request, { Resource }) {
    const fn = taggedFunction(ctx, Resource);
    const { Tags } = parseInput(tagResourceInput, jsonBody(request));
    const tags = { ...fn.settings.tags, ...Tags };
    checkTags(Tags, tags);
    ctx.metadata.setTags(fn.name, tags);
    return { status: 204 };
  },

  UntagResource(ctx, request, { Resource }) {
    const fn = taggedFunction(ctx, Resource);
    const tags = { ...fn.settings.tags };
    for (const key of tagKeys(request)) delete tags[key];
    ctx.metadata.setTags(fn.name, tags);
    return { status: 204 };
  },

  ListTags(ctx, _request, { Resource }) {
    return { status: 200, body: { Tags: taggedFunction(ctx, Resource).settings.tags } };
  },
};
