/**
 * Checks of IAM policy documents, with the MalformedPolicyDocument messages IAM answers. Policies are stored, never
 * evaluated: these checks only refuse what IAM refuses. Messages as AWS (and moto, tested against AWS) report them;
 * the trust-policy ones beyond "Has prohibited field Resource" are unconfirmed.
 */

/** What kind of document: an identity policy (inline or managed) or a role's trust policy. */
export type PolicyKind = 'identity' | 'trust';

const TOP_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const VERSIONS = new Set(['2008-10-17', '2012-10-17']);
const STATEMENT_ELEMENTS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

/** The MalformedPolicyDocument message for `text`, or undefined when IAM would accept it. */
export function policyDocumentProblem(text: string, kind: PolicyKind): string | undefined {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return 'Syntax errors in policy.';
  }
  const statements = statementsOf(document);
  if (!statements) return 'Syntax errors in policy.';
  const doc = document as Record<string, unknown>;
  if (kind === 'identity' && doc.Version !== '2012-10-17')
    return 'Policy document must be version 2012-10-17 or greater.';
  const sids = new Set<string>();
  for (const statement of statements) {
    const problem = kind === 'identity' ? identityStatementProblem(statement) : trustStatementProblem(statement);
    if (problem) return problem;
    if (typeof statement.Sid === 'string' && statement.Sid !== '') {
      if (sids.has(statement.Sid)) return 'Statement IDs (SID) in a single policy must be unique.';
      sids.add(statement.Sid);
    }
  }
  return undefined;
}

/** The statements when the document's shape is valid JSON policy grammar; undefined for a syntax error. */
function statementsOf(document: unknown): Array<Record<string, unknown>> | undefined {
  if (!isObject(document)) return undefined;
  if (Object.keys(document).some((k) => !TOP_ELEMENTS.has(k))) return undefined;
  if (document.Version !== undefined && !VERSIONS.has(document.Version as string)) return undefined;
  if (document.Id !== undefined && typeof document.Id !== 'string') return undefined;
  const raw = document.Statement;
  const statements = Array.isArray(raw) ? (raw as unknown[]) : isObject(raw) ? [raw] : undefined;
  if (!statements || statements.length === 0) return undefined;
  for (const statement of statements) if (!isStatementSyntax(statement)) return undefined;
  return statements as Array<Record<string, unknown>>;
}

function isStatementSyntax(statement: unknown): statement is Record<string, unknown> {
  if (!isObject(statement)) return false;
  if (Object.keys(statement).some((k) => !STATEMENT_ELEMENTS.has(k))) return false;
  if ('Action' in statement && 'NotAction' in statement) return false;
  if ('Resource' in statement && 'NotResource' in statement) return false;
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return false;
  if (statement.Sid !== undefined && typeof statement.Sid !== 'string') return false;
  for (const name of ['Action', 'NotAction', 'Resource', 'NotResource']) {
    if (name in statement && !isStringOrStrings(statement[name])) return false;
  }
  if (statement.Condition !== undefined && !isObject(statement.Condition)) return false;
  for (const name of ['Principal', 'NotPrincipal']) {
    const principal = statement[name];
    if (principal !== undefined && principal !== '*' && !isObject(principal)) return false;
  }
  return true;
}

function identityStatementProblem(statement: Record<string, unknown>): string | undefined {
  if ('Principal' in statement || 'NotPrincipal' in statement) return 'Policy document should not specify a principal.';
  if (!hasEntries(statement, 'Action', 'NotAction')) return 'Policy statement must contain actions.';
  if (!hasEntries(statement, 'Resource', 'NotResource')) return 'Policy statement must contain resources.';
  return actionProblem(statement);
}

function trustStatementProblem(statement: Record<string, unknown>): string | undefined {
  if ('Resource' in statement) return 'Has prohibited field Resource';
  if ('NotResource' in statement) return 'Has prohibited field NotResource';
  if (!('Principal' in statement) && !('NotPrincipal' in statement)) return 'Missing required field Principal';
  if (!hasEntries(statement, 'Action', 'NotAction')) return 'Missing required field Action';
  return actionProblem(statement);
}

function actionProblem(statement: Record<string, unknown>): string | undefined {
  const actions = [statement.Action, statement.NotAction].flat().filter((a): a is string => typeof a === 'string');
  for (const action of actions) {
    if (action === '*') continue;
    const parts = action.split(':');
    if (parts.length === 1) return 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.';
    if (parts.length > 2) return 'Actions/Condition can contain only one colon.';
    if (/[^a-zA-Z0-9.-]/.test(parts[0])) return `Vendor ${parts[0]} is not valid`;
  }
  return undefined;
}

function hasEntries(statement: Record<string, unknown>, ...names: string[]): boolean {
  return names.some((name) => {
    const value = statement[name];
    return typeof value === 'string' || (Array.isArray(value) && value.length > 0);
  });
}

function isStringOrStrings(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
