import { randomUUID } from 'node:crypto';
import { functionArn, parseFunctionRef } from '../arn.ts';
import { conflict, notFound, preconditionFailed } from '../errors.ts';
import { parseInput } from '../functions.ts';
import { addPermissionInput, buildStatement } from '../policy.ts';
import { jsonBody } from './body.ts';
import type { EdgeRequest } from '../../edge/types.ts';
import type { StoredFunction } from '../../state/lambda-metadata.ts';
import type { LambdaContext, LambdaHandlers } from './types.ts';

/** A function's resource-based policy: AddPermission, RemovePermission, GetPolicy. */
export const permissionOperations: LambdaHandlers = {
  AddPermission(ctx, request, { FunctionName }) {
    const { fn, policy, resource } = namedPolicy(ctx, request, FunctionName);
    const input = parseInput(addPermissionInput, jsonBody(request));
    if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId) throw preconditionFailed();
    const statement = buildStatement(input, resource);
    const text = JSON.stringify(statement);
    if (!ctx.metadata.addStatement(fn.name, policy, input.StatementId, text, randomUUID())) {
      throw conflict(
        `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    return { status: 201, body: { Statement: text } };
  },

  RemovePermission(ctx, request, { FunctionName, StatementId }) {
    const { fn, policy } = namedPolicy(ctx, request, FunctionName);
    const revision = request.query.get('RevisionId');
    if (revision !== null && revision !== fn.revisionId) throw preconditionFailed();
    if (!ctx.metadata.removeStatement(fn.name, policy, StatementId, randomUUID()))
      throw notFound(`Statement ${StatementId} is not found in resource policy.`);
    return { status: 204 };
  },

  GetPolicy(ctx, request, { FunctionName }) {
    const { fn, resource } = namedPolicy(ctx, request, FunctionName);
    // The policy of the function, version or alias named: the statements added with that qualifier.
    const statements = ctx.metadata
      .statements(fn.name)
      .filter((s) => (JSON.parse(s.statement) as { Resource: string }).Resource === resource);
    if (statements.length === 0) throw notFound('The resource you requested does not exist.');
    const policy = {
      Version: '2012-10-17',
      Id: 'default',
      Statement: statements.map((s) => JSON.parse(s.statement) as unknown),
    };
    return { status: 200, body: { Policy: JSON.stringify(policy), RevisionId: ctx.metadata.get(fn.name)!.revisionId } };
  },
};

/**
 * The function a request names, the policy its qualifier names ('' for the function itself: no qualifier, or
 * $LATEST; else the version or alias) and that policy's resource ARN.
 */
function namedPolicy(
  ctx: LambdaContext,
  request: EdgeRequest,
  functionName: string,
): { fn: StoredFunction; policy: string; resource: string } {
  const ref = parseFunctionRef(functionName);
  const qualifier = request.query.get('Qualifier') ?? ref.qualifier;
  const fn = ctx.find(ref, qualifier);
  const policy = qualifier === undefined || qualifier === null || qualifier === '$LATEST' ? '' : qualifier;
  return { fn, policy, resource: functionArn(ctx.region, ctx.accountId, fn.name, policy || undefined) };
}
