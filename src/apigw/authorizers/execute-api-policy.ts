import { arnMatches } from '../../lambda/policy.ts';

/** One statement of the IAM policy a Lambda authorizer returns. */
export interface ExecuteApiStatement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
}

/** Reads `policyDocument`; undefined when it is not a policy. */
export function parsePolicyDocument(document: unknown): ExecuteApiStatement[] | undefined {
  if (document === null || typeof document !== 'object') return undefined;
  const raw = (document as { Statement?: unknown }).Statement;
  const list: unknown[] = Array.isArray(raw) ? raw : raw !== undefined ? [raw] : [];
  if (list.length === 0) return undefined;
  const statements: ExecuteApiStatement[] = [];
  for (const s of list) {
    if (s === null || typeof s !== 'object') return undefined;
    const { Effect, Action, Resource } = s as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    if (Effect !== 'Allow' && Effect !== 'Deny') return undefined;
    const actions = stringList(Action);
    const resources = stringList(Resource);
    if (!actions || !resources) return undefined;
    statements.push({ effect: Effect, actions, resources });
  }
  return statements;
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value;
  return undefined;
}

/** IAM evaluation for `execute-api:Invoke` on `routeArn`: an explicit Deny wins, else some Allow is needed. */
export function policyAllows(statements: readonly ExecuteApiStatement[], routeArn: string): boolean {
  let allowed = false;
  for (const s of statements) {
    if (!s.actions.some((a) => arnMatches(a.toLowerCase(), 'execute-api:invoke'))) continue;
    if (!s.resources.some((r) => arnMatches(r, routeArn))) continue;
    if (s.effect === 'Deny') return false;
    allowed = true;
  }
  return allowed;
}
