import { randomUUID } from 'node:crypto';
import { functionArn, parseFunctionRef } from '../arn.ts';
import { conflict, notFound, preconditionFailed } from '../errors.ts';
import { parseInput } from '../functions.ts';
import { addPermissionInput, buildStatement } from '../policy.ts';
import { jsonBody } from './body.ts';
import type { LambdaHandlers } from './types.ts';

/** A function's resource-based policy: AddPermission, RemovePermission, GetPolicy. */
export const permissionOperations: LambdaHandlers = {
  AddPermission(ctx, request, { FunctionName }) {
    const ref = parseFunctionRef(FunctionName);
    const qualifier = request.query.get('Qualifier') ?? ref.qualifier;
    const fn = ctx.find(ref, qualifier);
    const input = parseInput(addPermissionInput, jsonBody(request));
    if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId) throw preconditionFailed();
    const resource = functionArn(
      ctx.region,
      ctx.accountId,
      fn.name,
      qualifier === '$LATEST' ? undefined : (qualifier ?? undefined),
    );
    const statement = buildStatement(input, resource);
    const text = JSON.stringify(statement);
    if (!ctx.metadata.addStatement(fn.name, policyOf(qualifier), input.StatementId, text, randomUUID())) {
      throw conflict(
        `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    return { status: 201, body: { Statement: text } };
  },

  RemovePermission(ctx, request, { FunctionName, StatementId }) {
    const ref = parseFunctionRef(FunctionName);
    const qualifier = request.query.get('Qualifier') ?? ref.qualifier;
    const fn = ctx.find(ref, qualifier);
    const revision = request.query.get('RevisionId');
    if (revision !== null && revision !== fn.revisionId) throw preconditionFailed();
    if (!ctx.metadata.removeStatement(fn.name, policyOf(qualifier), StatementId, randomUUID()))
      throw notFound(`Statement ${StatementId} is not found in resource policy.`);
    return { status: 204 };
  },

  GetPolicy(ctx, request, { FunctionName }) {
    const fn = ctx.find(parseFunctionRef(FunctionName), request.query.get('Qualifier'));
    const qualifier = request.query.get('Qualifier') ?? parseFunctionRef(FunctionName).qualifier;
    const resource = functionArn(ctx.region, ctx.accountId, fn.name, qualifier === '$LATEST' ? undefined : qualifier);
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

/** The policy a qualifier names: '' for the function itself (no qualifier, or $LATEST), else the version or alias. */
function policyOf(qualifier: string | null | undefined): string {
  return qualifier === undefined || qualifier === null || qualifier === '$LATEST' ? '' : qualifier;
}
