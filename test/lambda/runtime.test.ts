import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { EnvironmentPool } from '../../src/lambda/runtime/pool.ts';
import type { EnvironmentSpec, InvocationOutcome } from '../../src/lambda/runtime/environment.ts';

/** A function whose code is `source` (`file`, CommonJS index.js by default), run through a real pool of environments. */
function functionPool(
  source: string,
  overrides: Partial<EnvironmentSpec> = {},
  maxEnvironments = 4,
  file = 'index.js',
) {
  const root = mkdtempSync(path.join(tmpdir(), 'ddn-runtime-'));
  writeFileSync(path.join(root, 'package.json'), '{}');
  writeFileSync(path.join(root, file), source);
  const spec: EnvironmentSpec = {
    runtime: 'nodejs20.x',
    taskRoot: root,
    handler: 'index.handler',
    env: { GREETING: 'hello' },
    memorySize: 128,
    timeoutSeconds: 3,
    functionName: 'fn',
    functionVersion: '$LATEST',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
    logGroupName: '/aws/lambda/fn',
    logStreamName: 'stream',
    ...overrides,
  };
  const pool = new EnvironmentPool(() => spec, { maxEnvironments, idleMs: 60_000 });
  const invoke = (event: unknown = {}): Promise<InvocationOutcome> =>
    pool.invoke({ requestId: randomUUID(), event: JSON.stringify(event) });
  return {
    pool,
    spec,
    invoke,
    async close() {
      await pool.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

test('async handler: result, context, own environment variables, captured console output', async () => {
  process.env.DDN_EDGE_SECRET_FOR_TEST = 'must-not-leak';
  const f = functionPool(`
    console.log('init phase');
    exports.handler = async (event, context) => {
      console.log('event', event.n);
      return { n: event.n * 2, greeting: process.env.GREETING, leaked: process.env.DDN_EDGE_SECRET_FOR_TEST ?? null,
        requestId: context.awsRequestId, name: context.functionName, version: context.functionVersion,
        arn: context.invokedFunctionArn, remaining: context.getRemainingTimeInMillis() };
    };`);
  try {
    const out = await f.invoke({ n: 21 });
    assert.equal(out.failed, false);
    const result = JSON.parse(out.payload);
    assert.equal(result.n, 42);
    assert.equal(result.greeting, 'hello');
    assert.equal(result.leaked, null);
    assert.match(result.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(result.name, 'fn');
    assert.equal(result.version, '$LATEST');
    assert.equal(result.arn, 'arn:aws:lambda:us-east-1:000000000000:function:fn');
    assert.ok(result.remaining > 0 && result.remaining <= 3000);
    assert.match(out.log, /init phase/);
    assert.match(out.log, new RegExp(`${result.requestId}\\tINFO\\tevent 21`));
    assert.equal(out.coldStart, true);
  } finally {
    delete process.env.DDN_EDGE_SECRET_FOR_TEST;
    await f.close();
  }
});

test('callback handlers and the legacy context.succeed work', async () => {
  const f = functionPool(`exports.handler = (event, context, callback) => {
    if (event.legacy) return context.succeed('legacy');
    setTimeout(() => callback(null, 'via callback'), 5);
  };`);
  try {
    assert.equal((await f.invoke({})).payload, '"via callback"');
    assert.equal((await f.invoke({ legacy: true })).payload, '"legacy"');
  } finally {
    await f.close();
  }
});

test('init runs once per environment; warm environments are reused', async () => {
  const f = functionPool(`let inits = (globalThis.inits ?? 0) + 1; let calls = 0;
    exports.handler = async () => ({ inits, calls: ++calls });`);
  try {
    const first = await f.invoke();
    const second = await f.invoke();
    assert.deepEqual(JSON.parse(first.payload), { inits: 1, calls: 1 });
    assert.deepEqual(JSON.parse(second.payload), { inits: 1, calls: 2 });
    assert.equal(second.coldStart, false);
    assert.equal(f.pool.size, 1);
  } finally {
    await f.close();
  }
});

test('a thrown error is a function error with errorType, errorMessage and the stack', async () => {
  const f = functionPool(
    `exports.handler = async () => { class BoomError extends Error { name = 'BoomError'; } throw new BoomError('boom'); };`,
  );
  try {
    const out = await f.invoke();
    assert.equal(out.failed, true);
    const body = JSON.parse(out.payload);
    assert.equal(body.errorType, 'BoomError');
    assert.equal(body.errorMessage, 'boom');
    assert.ok(Array.isArray(body.stackTrace) && String(body.stackTrace[0]).includes('boom'));
    assert.deepEqual(body.trace, body.stackTrace);
    // The environment survives a handled throw.
    assert.equal((await f.invoke()).failed, true);
    assert.equal(f.pool.size, 1);
  } finally {
    await f.close();
  }
});

test('a timeout ends the environment with "Task timed out after N seconds"; the next call gets a fresh one', async () => {
  const f = functionPool(
    `let calls = 0; exports.handler = async (e) => { calls++; if (e.spin) for (;;) {} return calls; };`,
    { timeoutSeconds: 1 },
  );
  try {
    assert.equal((await f.invoke({})).payload, '1');
    const out = await f.invoke({ spin: true });
    assert.equal(out.failed, true);
    const body = JSON.parse(out.payload);
    assert.equal(body.errorType, 'Sandbox.Timedout');
    assert.match(body.errorMessage, /Task timed out after 1\.00 seconds/);
    assert.match(out.log, /Task timed out after 1\.00 seconds/);
    assert.equal((await f.invoke({})).payload, '1', 'a fresh environment with its own state');
  } finally {
    await f.close();
  }
});

test('a crash (process.exit) and running out of memory kill only that environment', async () => {
  const f = functionPool(
    `exports.handler = async (e) => {
      if (e.exit) process.exit(3);
      if (e.oom) { const hog = []; for (;;) hog.push(new Array(1e5).fill(Math.random())); }
      return 'alive';
    };`,
    { memorySize: 64, timeoutSeconds: 30 },
  );
  try {
    const crashed = await f.invoke({ exit: true });
    assert.equal(crashed.failed, true);
    assert.equal(JSON.parse(crashed.payload).errorType, 'Runtime.ExitError');
    assert.match(JSON.parse(crashed.payload).errorMessage, /Runtime exited with error: exit status 3/);
    const oom = await f.invoke({ oom: true });
    assert.equal(oom.failed, true);
    assert.equal(JSON.parse(oom.payload).errorType, 'Runtime.OutOfMemory');
    assert.equal((await f.invoke({})).payload, '"alive"');
  } finally {
    await f.close();
  }
});

test('import errors and a missing handler export are reported like Lambda', async () => {
  const missing = functionPool(`exports.other = () => 1;`);
  const broken = functionPool(`exports.handler = async () => 1;`, { handler: 'nothere.handler' });
  try {
    assert.equal(JSON.parse((await missing.invoke()).payload).errorType, 'Runtime.HandlerNotFound');
    assert.equal(JSON.parse((await broken.invoke()).payload).errorType, 'Runtime.ImportModuleError');
  } finally {
    await missing.close();
    await broken.close();
  }
});

test('one invocation at a time per environment, at most maxEnvironments at once, the rest wait', async () => {
  const f = functionPool(
    `let busy = false; exports.handler = async () => {
      if (busy) throw new Error('two invocations in one environment');
      busy = true; await new Promise((r) => setTimeout(r, 50)); busy = false;
      return process.pid;
    };`,
    {},
    3,
  );
  try {
    const outcomes = await Promise.all(Array.from({ length: 9 }, () => f.invoke()));
    assert.ok(
      outcomes.every((o) => !o.failed),
      outcomes.map((o) => o.payload).join(','),
    );
    assert.equal(new Set(outcomes.map((o) => o.payload)).size, 3, 'exactly three environments served nine calls');
    assert.equal(f.pool.size, 3);
  } finally {
    await f.close();
  }
});

test('an invocation queued behind one that times out or crashes runs in a fresh environment', async () => {
  const f = functionPool(
    `let calls = 0; exports.handler = async (e) => { calls++; if (e.spin) for (;;) {} if (e.exit) process.exit(3); return calls; };`,
    { timeoutSeconds: 1 },
    1,
  );
  try {
    // With one environment the second call is queued in the worker behind the first.
    const [spun, afterTimeout] = await Promise.all([f.invoke({ spin: true }), f.invoke({})]);
    assert.equal(JSON.parse(spun.payload).errorType, 'Sandbox.Timedout');
    assert.deepEqual([afterTimeout.failed, afterTimeout.payload], [false, '1']);
    const [crashed, afterCrash] = await Promise.all([f.invoke({ exit: true }), f.invoke({})]);
    assert.equal(JSON.parse(crashed.payload).errorType, 'Runtime.ExitError');
    assert.deepEqual([afterCrash.failed, afterCrash.payload], [false, '1']);
    assert.equal(f.pool.size, 1);
  } finally {
    await f.close();
  }
});

test('when a crashed environment cannot be replaced, the calls waiting for it fail and the host lives on', async () => {
  const f = functionPool(`exports.handler = async (e) => { if (e.exit) process.exit(3); return 'ok'; };`, {}, 1);
  let starts = 0;
  const pool = new EnvironmentPool(
    () => {
      if (++starts > 1) throw new Error('code store unavailable');
      return f.spec;
    },
    { maxEnvironments: 1, idleMs: 60_000 },
  );
  try {
    assert.equal((await pool.invoke({ requestId: randomUUID(), event: '{}' })).payload, '"ok"');
    // Into the warm environment: one running, 7 queued inside it, 2 waiting in the pool for an environment.
    const calls = [{ exit: true }, ...Array.from({ length: 9 }, () => ({}))].map((event) =>
      pool.invoke({ requestId: randomUUID(), event: JSON.stringify(event) }),
    );
    const settled = await Promise.allSettled(calls);
    const crashed = settled[0];
    assert.equal(crashed.status, 'fulfilled');
    assert.equal(JSON.parse(crashed.value.payload).errorType, 'Runtime.ExitError');
    for (const s of settled.slice(1)) {
      assert.equal(s.status, 'rejected');
      assert.match(String(s.reason), /code store unavailable/);
    }
  } finally {
    await pool.close();
    await f.close();
  }
});

test('several invocations queued behind one that times out all run once, in order, in a fresh environment', async () => {
  const f = functionPool(
    `let calls = 0; exports.handler = async (e) => { calls++; if (e.spin) for (;;) {} return [e.n, calls]; };`,
    { timeoutSeconds: 1 },
    1,
  );
  try {
    const [spun, ...queued] = await Promise.all([f.invoke({ spin: true }), ...[1, 2, 3].map((n) => f.invoke({ n }))]);
    assert.equal(JSON.parse(spun.payload).errorType, 'Sandbox.Timedout');
    assert.deepEqual(
      queued.map((o) => [o.failed, JSON.parse(o.payload) as unknown]),
      [
        [false, [1, 1]],
        [false, [2, 2]],
        [false, [3, 3]],
      ],
    );
  } finally {
    await f.close();
  }
});

test('several invocations queued behind one that ends just before its deadline run once each, in order', async () => {
  const f = functionPool(
    `let calls = 0; exports.handler = async (e, context) => {
      const call = ++calls;
      if (e.late) while (context.getRemainingTimeInMillis() > 250) {}
      else await new Promise((r) => setTimeout(r, 100));
      return [e.n, call];
    };`,
    { timeoutSeconds: 1 },
    1,
  );
  try {
    assert.deepEqual(JSON.parse((await f.invoke({ n: 0 })).payload), [0, 1]);
    // The late call ends 250 ms before its deadline; the three behind it run one at a time (100 ms each), and one
    // more sent while they wait must not overtake them.
    const first = Promise.all([f.invoke({ late: true, n: 1 }), ...[2, 3, 4].map((n) => f.invoke({ n }))]);
    await new Promise((r) => setTimeout(r, 1_050));
    const [outcomes, last] = await Promise.all([first, f.invoke({ n: 5 })]);
    assert.deepEqual(
      [...outcomes, last].map((o) => [o.failed, JSON.parse(o.payload) as unknown]),
      [1, 2, 3, 4, 5].map((n) => [false, [n, n + 1]]),
    );
  } finally {
    await f.close();
  }
});

test('an invocation queued behind one that ends just before its deadline runs once, in the same environment', async () => {
  const f = functionPool(
    `let calls = 0; exports.handler = async (e, context) => { calls++; if (e.late) while (context.getRemainingTimeInMillis() > 250) {} return calls; };`,
    { timeoutSeconds: 1 },
    1,
  );
  try {
    assert.equal((await f.invoke({})).payload, '1', 'a warm environment, so the next call is queued inside it');
    // The late call ends 250 ms before its deadline (a margin a loaded machine's scheduling cannot eat); the queued
    // one is sent once the late call's result is in: it runs once, in the same environment.
    const [late, queued] = await Promise.all([f.invoke({ late: true }), f.invoke({})]);
    assert.deepEqual([late.failed, late.payload], [false, '2']);
    assert.deepEqual([queued.failed, queued.payload], [false, '3']);
  } finally {
    await f.close();
  }
});

test("the heap is sized as Lambda's Node.js bootstrap sizes it: a tenth of MemorySize young, the rest old", async () => {
  const f = functionPool(`const v8 = require('node:v8');
    exports.handler = async () => ({ argv: process.execArgv, limit: v8.getHeapStatistics().heap_size_limit });`);
  try {
    const { argv, limit } = JSON.parse((await f.invoke()).payload) as { argv: string[]; limit: number };
    assert.ok(argv.includes('--max-semi-space-size=6') && argv.includes('--max-old-space-size=116'), argv.join(' '));
    // Old space alone at MemorySize left V8 176 MiB (Node 20) or 320 MiB (Node 24) in all.
    assert.ok(limit < 160 * 1024 * 1024, `heap limit ${limit}`);
  } finally {
    await f.close();
  }
});

/** The resident size of a process's malloc heap (`[heap]`): where glibc's setenv keeps what it is given. */
function mallocHeapBytes(pid: number): number {
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'latin1');
  const at = smaps.indexOf('[heap]');
  return at === -1 ? 0 : Number(/\nRss:\s+(\d+) kB/.exec(smaps.slice(at))![1]) * 1024;
}

// Each reports on {memory: true} what the test measures: Node its pid (its permission model keeps it out of /proc;
// V8's own heap, outside malloc's, grows for a while on Node 24), Python its resident size.
const TRACE_ID_FUNCTIONS = [
  {
    runtime: 'nodejs20.x',
    file: 'index.js',
    source: `exports.handler = async (event) => event.memory ? { pid: process.pid }
      : { trace: process.env._X_AMZN_TRACE_ID, listed: Object.keys(process.env).includes('_X_AMZN_TRACE_ID') };`,
  },
  {
    runtime: 'python3.11',
    file: 'index.py',
    source: `import os
def handler(event, context):
    if event.get("memory"):
        return {"rss": int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")}
    return {"trace": os.environ.get("_X_AMZN_TRACE_ID"), "listed": "_X_AMZN_TRACE_ID" in dict(os.environ)}
`,
  },
];

for (const { runtime, file, source } of TRACE_ID_FUNCTIONS) {
  test(`${runtime}: each invocation sees its own _X_AMZN_TRACE_ID, and setting it leaks no memory`, async () => {
    const f = functionPool(source, { runtime, handler: 'index.handler' }, 1, file);
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const out = await f.invoke();
        const { trace, listed } = JSON.parse(out.payload) as { trace: string; listed: boolean };
        assert.match(trace, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
        assert.equal(listed, true);
        seen.add(trace);
      }
      assert.equal(seen.size, 3, 'a new trace id for each invocation');
      // Setting the variable in the process environment keeps every value (glibc's setenv): about 150 bytes an
      // invocation, 3 MB over these 20,000, which would end a busy warm environment on its memory limit in minutes.
      const invokeMany = async (count: number) => {
        const inFlight = 8;
        await Promise.all(
          Array.from({ length: inFlight }, async () => {
            for (let i = 0; i < count / inFlight; i++) await f.invoke();
          }),
        );
      };
      const memory = async () => {
        const report = JSON.parse((await f.invoke({ memory: true })).payload) as { pid?: number; rss?: number };
        return report.rss ?? mallocHeapBytes(report.pid!);
      };
      await invokeMany(5_000);
      const before = await memory();
      await invokeMany(20_000);
      const growth = (await memory()) - before;
      assert.ok(growth < 1024 * 1024, `${runtime}: the runtime grew by ${growth} bytes over 20,000 invocations`);
    } finally {
      await f.close();
    }
  });
}
