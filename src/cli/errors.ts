/** Exit codes of every ddn command. */
export const EXIT_OK = 0;
export const EXIT_REMOTE_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An error the CLI prints as `ddn: <message>` (no stack) before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_REMOTE_FAILURE,
  ) {
    super(message);
  }
}
