import { conflict } from './errors.ts';

/** The state fields of a FunctionConfiguration. */
export interface FunctionStatus {
  State: 'Pending' | 'Active';
  StateReason?: string;
  StateReasonCode?: string;
  LastUpdateStatus?: 'InProgress' | 'Successful';
  LastUpdateStatusReason?: string;
  LastUpdateStatusReasonCode?: string;
}

const ACTIVE: FunctionStatus = { State: 'Active', LastUpdateStatus: 'Successful' };

/**
 * AWS's function states: a created function is `Pending` and an updated one `InProgress` for a short while
 * (DDN_LAMBDA_STATE_DELAY_MS), then `Active` / `Successful`. Meanwhile it cannot be changed (nor invoked while
 * Pending), so that scripts wait as they must on AWS (`aws lambda wait function-active` / `function-updated`).
 */
export class FunctionLifecycle {
  private readonly changes = new Map<string, { kind: 'create' | 'update'; until: number }>();

  constructor(private readonly delayMs: number) {}

  created(name: string): void {
    this.start(name, 'create');
  }

  updated(name: string): void {
    this.start(name, 'update');
  }

  deleted(name: string): void {
    this.changes.delete(name);
  }

  status(name: string): FunctionStatus {
    const change = this.current(name);
    if (!change) return ACTIVE;
    if (change === 'create')
      return { State: 'Pending', StateReason: 'The function is being created.', StateReasonCode: 'Creating' };
    return {
      State: 'Active',
      LastUpdateStatus: 'InProgress',
      LastUpdateStatusReason: 'The function is being created.',
      LastUpdateStatusReasonCode: 'Creating',
    };
  }

  /** Refuses a change while the function is being created or updated. */
  checkUpdatable(name: string, arn: string): void {
    const change = this.current(name);
    if (change === 'create') throw pending();
    if (change === 'update')
      throw conflict(`The operation cannot be performed at this time. An update is in progress for resource: ${arn}`);
  }

  /** Refuses an invocation while the function is Pending (during an update it runs, as on AWS). */
  checkInvocable(name: string): void {
    if (this.changes.size > 0 && this.current(name) === 'create') throw pending();
  }

  private start(name: string, kind: 'create' | 'update'): void {
    if (this.delayMs > 0) this.changes.set(name, { kind, until: Date.now() + this.delayMs });
  }

  private current(name: string): 'create' | 'update' | undefined {
    const change = this.changes.get(name);
    if (!change) return undefined;
    if (Date.now() < change.until) return change.kind;
    this.changes.delete(name);
    return undefined;
  }
}

function pending() {
  return conflict(
    'The operation cannot be performed at this time. The function is currently in the following state: Pending',
  );
}
