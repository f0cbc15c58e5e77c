import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The CLI's JSON output, as JSON.parse gives it: the assertions read it field by field. */
export type CliOutput = ReturnType<typeof JSON.parse>;

/** One field of each item of a listed array. */
export const fieldOf = (items: unknown, field: string): unknown[] =>
  (items as Array<Record<string, unknown>>).map((item) => item[field]);

export interface AwsCli {
  /** Runs `aws PREFIX... ARGS...`; resolves with its output whether it succeeded or not. */
  run: (...args: string[]) => Promise<{ ok: boolean; stdout: string; stderr: string }>;
  /** The parsed output of a call that must succeed (`{}` for an empty one). */
  json: (...args: string[]) => Promise<CliOutput>;
  /** The CLI's error line of a call that must fail: `An error occurred (Code) when calling the Op operation: ...`. */
  error: (...args: string[]) => Promise<string>;
}

/** The `aws` CLI with `env` (a test edge's), every call prefixed with `prefix` (`cognito-idp`, or nothing). */
export function awsCli(env: () => NodeJS.ProcessEnv, ...prefix: string[]): AwsCli {
  const cli: AwsCli = {
    run: async (...args) => {
      try {
        const { stdout, stderr } = await execFileAsync('aws', [...prefix, ...args], { env: env() });
        return { ok: true, stdout, stderr };
      } catch (err) {
        const e = err as { stdout: string; stderr: string };
        return { ok: false, stdout: e.stdout, stderr: e.stderr };
      }
    },
    json: async (...args) => {
      const res = await cli.run(...args);
      assert.ok(res.ok, res.stderr);
      const output: CliOutput = res.stdout.trim() === '' ? {} : JSON.parse(res.stdout);
      // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- untyped by design: the tests assert on its fields
      return output;
    },
    error: async (...args) => {
      const res = await cli.run(...args);
      assert.equal(res.ok, false, `expected a failure of aws ${[...prefix, ...args].join(' ')}`);
      return res.stderr.trim();
    },
  };
  return cli;
}
