import { z } from 'zod';
import { invalidParameter } from './errors.ts';

/** One statement of a function's resource policy, as Lambda writes it. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: string | { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export const addPermissionInput = z.object({
  StatementId: z.string().regex(/^[a-zA-Z0-9_-]{1,100}$/, 'StatementId must be 1-100 letters, digits, - or _'),
  Action: z.string().regex(/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/, "Action must look like 'lambda:InvokeFunction'"),
  Principal: z.string().regex(/^[^\s]+$/, 'Principal must not be empty or contain spaces'),
  SourceArn: z.string().max(1024).optional(),
  SourceAccount: z
    .string()
    .regex(/^\d{12}$/, 'SourceAccount must be 12 digits')
    .optional(),
  PrincipalOrgID: z.string().optional(),
  EventSourceToken: z.string().optional(),
  RevisionId: z.string().optional(),
  FunctionUrlAuthType: z.string().optional(),
  InvokedViaFunctionUrl: z.boolean().optional(),
});
export type AddPermissionInput = z.infer<typeof addPermissionInput>;

export function buildStatement(input: AddPermissionInput, resource: string): PolicyStatement {
  const statement: PolicyStatement = {
    Sid: input.StatementId,
    Effect: 'Allow',
    Principal: principalOf(input.Principal),
    Action: input.Action,
    Resource: resource,
  };
  const condition: Record<string, Record<string, string>> = {};
  if (input.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': input.SourceAccount };
  if (input.PrincipalOrgID)
    condition.StringEquals = { ...condition.StringEquals, 'aws:PrincipalOrgID': input.PrincipalOrgID };
  if (input.FunctionUrlAuthType)
    condition.StringEquals = { ...condition.StringEquals, 'lambda:FunctionUrlAuthType': input.FunctionUrlAuthType };
  if (input.SourceArn) condition.ArnLike = { 'AWS:SourceArn': input.SourceArn };
  // Unconfirmed: the condition operator Lambda writes for InvokedViaFunctionUrl.
  if (input.InvokedViaFunctionUrl) condition.Bool = { 'lambda:InvokedViaFunctionUrl': 'true' };
  if (Object.keys(condition).length > 0) statement.Condition = condition;
  return statement;
}

function principalOf(principal: string): PolicyStatement['Principal'] {
  if (principal === '*') return '*';
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (principal.startsWith('arn:')) return { AWS: principal };
  if (/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(principal)) return { Service: principal };
  throw invalidParameter(`The provided principal was invalid. Please check the principal and try again.`);
}

/** Whether a statement lets `principal` (a service principal) invoke the function from `sourceArn`. */
export function statementAllows(statement: PolicyStatement, principal: string, sourceArn: string): boolean {
  if (statement.Effect !== 'Allow') return false;
  if (!['lambda:InvokeFunction', 'lambda:*', '*'].includes(statement.Action)) return false;
  const p = statement.Principal;
  if (p !== '*' && !(typeof p === 'object' && 'Service' in p && p.Service === principal)) return false;
  if (statement.Condition?.Bool?.['lambda:InvokedViaFunctionUrl'] !== undefined) return false;
  const arnLike = statement.Condition?.ArnLike?.['AWS:SourceArn'];
  if (arnLike !== undefined && !arnMatches(arnLike, sourceArn)) return false;
  const account = statement.Condition?.StringEquals?.['AWS:SourceAccount'];
  if (account !== undefined && sourceArn.split(':')[4] !== account) return false;
  return true;
}

/** IAM ArnLike: `*` matches any run of characters, `?` one character, everything else literally. */
export function arnMatches(pattern: string, arn: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('')}$`,
    's',
  );
  return re.test(arn);
}
