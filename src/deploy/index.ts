import { createHash } from 'node:crypto';
import type { Declaration } from './declaration.ts';
import { applyPlan, type ApplyResult } from './apply.ts';
import { computePlan, type Change, type Plan } from './plan.ts';
import { readTarget, type DeployClients } from './target.ts';

export { buildDeclaration, awsApiEndpoint, DeclarationError, type Declaration } from './declaration.ts';
export { computePlan, describeChange, PlanError, type Change, type Plan } from './plan.ts';
export { deployClients, readTarget, DeployStepError, type DeployClients } from './target.ts';
export { destroy, type DestroyResult } from './destroy.ts';

/** Lambda's CodeSha256: base64 of the SHA-256 of the zip. */
export function codeSha256(code: Uint8Array): string {
  return createHash('sha256').update(code).digest('base64');
}

export interface DeployOutcome {
  plan: Plan;
  /** Absent when only planning. */
  result?: ApplyResult;
}

/** Reads the target, plans, and (unless `planOnly`) applies. */
export async function deploy(
  clients: DeployClients,
  declaration: Declaration,
  code: Uint8Array,
  options: { planOnly?: boolean; onChange?: (change: Change) => void } = {},
): Promise<DeployOutcome> {
  const state = await readTarget(clients, declaration);
  const plan = computePlan(declaration, state, codeSha256(code));
  if (options.planOnly) return { plan };
  return { plan, result: await applyPlan(clients, declaration, plan, code, options.onChange) };
}
