import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { StoredFunction } from '../../state/lambda-metadata.ts';
import { parseFunctionRef } from '../arn.ts';
import { invalidParameter, preconditionFailed } from '../errors.ts';
import { parseInput } from '../functions.ts';
import { jsonBody } from './body.ts';
import type { LambdaContext, LambdaHandlers } from './types.ts';

const publishVersionInput = z.object({
  CodeSha256: z.string().optional(),
  Description: z.string().max(256, 'Member must have length less than or equal to 256').optional(),
  RevisionId: z.string().optional(),
});

/** Refuses a qualified reference where only the function itself ($LATEST) may be named. */
export function unqualified(functionName: string): ReturnType<typeof parseFunctionRef> {
  const ref = parseFunctionRef(functionName);
  // Unconfirmed: Lambda's message for a version or alias ARN where the operation takes none.
  if (ref.qualifier !== undefined && ref.qualifier !== '$LATEST') {
    throw invalidParameter(`A version or alias cannot be changed: ${functionName}; name the function itself.`);
  }
  return { name: ref.name };
}

/**
 * Publishes `$LATEST` as a new version, unless the newest version already has the same code and configuration
 * (then that version is the answer, as on AWS).
 */
export function publishLatest(ctx: LambdaContext, fn: StoredFunction, description?: string): StoredFunction {
  const newest = ctx.metadata.versions(fn.name).at(-1);
  const settings = { ...fn.settings, description: description ?? fn.settings.description };
  if (newest && newest.codeSha256 === fn.codeSha256 && sameConfiguration(newest, fn)) return newest;
  return ctx.metadata.publish({ ...fn, settings, revisionId: randomUUID() });
}

function sameConfiguration(a: StoredFunction, b: StoredFunction): boolean {
  const strip = ({ tags: _t, description: _d, ...rest }: StoredFunction['settings']) => JSON.stringify(rest);
  return strip(a.settings) === strip(b.settings);
}

/** Published versions: PublishVersion, ListVersionsByFunction. */
export const versionOperations: LambdaHandlers = {
  PublishVersion(ctx, request, { FunctionName }) {
    const fn = ctx.find(unqualified(FunctionName));
    const input = parseInput(publishVersionInput, jsonBody(request));
    if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId) throw preconditionFailed();
    if (input.CodeSha256 !== undefined && input.CodeSha256 !== fn.codeSha256) {
      throw invalidParameter(
        `CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${fn.codeSha256}). Please try again with the current CodeSHA256.`,
      );
    }
    return { status: 201, body: ctx.configuration(publishLatest(ctx, fn, input.Description)) };
  },

  ListVersionsByFunction(ctx, _request, { FunctionName }) {
    const fn = ctx.find(unqualified(FunctionName));
    const versions = [fn, ...ctx.metadata.versions(fn.name)];
    return { status: 200, body: { Versions: versions.map((v) => ctx.configuration(v)) } };
  },
};
