import {
  ExecutionEnvironment,
  MAX_QUEUED,
  NOT_STARTED,
  type EnvironmentSpec,
  type Invocation,
  type InvocationOutcome,
} from './environment.ts';

export interface PoolOptions {
  /** Most environments running at once for this function; further invocations wait for one to free up. */
  maxEnvironments: number;
  /** An idle environment is stopped after this long. */
  idleMs: number;
}

/**
 * The execution environments of one function at one code/configuration revision. Warm environments are
 * reused (most recently used first); each runs one invocation at a time. When every environment allowed is
 * busy, an invocation queues inside the one with the fewest (it starts there the moment those before it end);
 * beyond MAX_QUEUED each, invocations wait here for an environment.
 */
export class EnvironmentPool {
  private readonly idle: ExecutionEnvironment[] = [];
  /** Live environments with invocations: 1 (running) to 1 + MAX_QUEUED (running + queued). */
  private readonly assigned = new Map<ExecutionEnvironment, number>();
  private readonly idleTimers = new Map<ExecutionEnvironment, NodeJS.Timeout>();
  private readonly waiters: Array<{ resolve(env: ExecutionEnvironment): void; reject(err: unknown): void }> = [];
  private running = 0;
  private retired = false;

  constructor(
    private readonly spec: () => Promise<EnvironmentSpec> | EnvironmentSpec,
    private readonly options: PoolOptions,
  ) {}

  /** Environments alive now (busy or idle). */
  get size(): number {
    return this.running;
  }

  async invoke(invocation: Invocation): Promise<InvocationOutcome> {
    for (;;) {
      const acquired = this.acquire();
      const env = acquired instanceof ExecutionEnvironment ? acquired : await acquired;
      let outcome: InvocationOutcome | typeof NOT_STARTED;
      try {
        // One handed over by a finished call may have died before this call got to it: then it tries again.
        const running = env.dead ? Promise.resolve(NOT_STARTED) : env.invoke(invocation);
        // Calls that waited while this environment started (or was full) queue in it behind this one.
        if (this.waiters.length > 0 && !env.dead && !this.retired)
          this.assigned.set(env, this.fill(env, this.assigned.get(env)!));
        outcome = await running;
      } finally {
        this.release(env);
      }
      // Queued behind an invocation that ended its environment: run it in another one.
      if (outcome !== NOT_STARTED) return outcome;
    }
  }

  /** Stops idle environments now and busy ones when their invocation ends (after a code or configuration change). */
  retire(): void {
    this.retired = true;
    for (const env of this.idle.splice(0)) void this.stop(env);
  }

  async close(): Promise<void> {
    this.retired = true;
    await Promise.all(this.idle.splice(0).map((env) => this.stop(env)));
  }

  /** An environment for one more invocation: at once when one is idle or has room in its queue (the usual case under load). */
  private acquire(): ExecutionEnvironment | Promise<ExecutionEnvironment> {
    while (this.idle.length > 0) {
      const env = this.idle.pop()!;
      clearTimeout(this.idleTimers.get(env));
      this.idleTimers.delete(env);
      if (!env.dead) return this.assign(env, 1);
      this.running--;
    }
    if (this.running < this.options.maxEnvironments) {
      this.running++;
      return this.start();
    }
    let least: ExecutionEnvironment | undefined;
    let leastCount = 1 + MAX_QUEUED;
    for (const [env, count] of this.assigned) {
      if (count < leastCount && !env.dead && !this.retired) [least, leastCount] = [env, count];
    }
    if (least) return this.assign(least, leastCount + 1);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private async start(): Promise<ExecutionEnvironment> {
    let env: ExecutionEnvironment;
    try {
      env = new ExecutionEnvironment(await this.spec());
    } catch (err) {
      this.running--;
      // The slot is free again: a call waiting for one gets its own try (which wakes the next if it fails too).
      this.serveWaiter();
      throw err;
    }
    return this.assign(env, 1);
  }

  /** Hands waiting calls to `env`, which has `count` invocations, up to its capacity; returns its new count. */
  private fill(env: ExecutionEnvironment, count: number): number {
    while (count < 1 + MAX_QUEUED && this.waiters.length > 0) {
      this.waiters.shift()!.resolve(env);
      count++;
    }
    return count;
  }

  /** Lets the first waiting call acquire an environment; one that fails to start fails that call, never the host. */
  private serveWaiter(): void {
    const waiter = this.waiters.shift();
    if (waiter)
      void Promise.resolve(this.acquire()).then(
        (env) => waiter.resolve(env),
        (err: unknown) => waiter.reject(err),
      );
  }

  private assign(env: ExecutionEnvironment, count: number): ExecutionEnvironment {
    this.assigned.set(env, count);
    return env;
  }

  /** One invocation of `env` ended. */
  private release(env: ExecutionEnvironment): void {
    const left = this.assigned.get(env)! - 1;
    if (env.dead || this.retired) {
      if (left > 0) return void this.assigned.set(env, left);
      this.assigned.delete(env);
      this.running--;
      void this.stop(env);
      this.serveWaiter();
      return;
    }
    const count = this.fill(env, left);
    if (count > 0) return void this.assigned.set(env, count);
    this.assigned.delete(env);
    this.idle.push(env);
    const timer = setTimeout(() => {
      const i = this.idle.indexOf(env);
      if (i === -1) return;
      this.idle.splice(i, 1);
      this.idleTimers.delete(env);
      this.running--;
      void this.stop(env);
    }, this.options.idleMs);
    timer.unref();
    this.idleTimers.set(env, timer);
  }

  private stop(env: ExecutionEnvironment): Promise<void> {
    clearTimeout(this.idleTimers.get(env));
    this.idleTimers.delete(env);
    return env.terminate().catch(() => undefined);
  }
}
