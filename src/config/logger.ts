import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import pretty from 'pino-pretty';

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** Human-readable lines (pino-pretty) instead of JSON lines; for a person at a terminal. */
  pretty?: boolean;
}

const PRETTY_OPTIONS = { ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l', singleLine: true } as const;

/** Logger on stderr (stdout stays for what a command prints for people): JSON lines, or pretty lines when asked. */
export function createLogger(
  name: string,
  level: string = process.env.DDN_LOG_LEVEL ?? 'info',
  options: LoggerOptions = {},
): Logger {
  const base = { name, level, base: { pid: process.pid } };
  if (options.pretty) {
    return pino(
      base,
      pretty({ ...PRETTY_OPTIONS, destination: 2, sync: true, colorize: process.stderr.isTTY === true }),
    );
  }
  return pino(base, pino.destination({ fd: 2, sync: false }));
}

/** Turns JSON log lines (a child process's) into pretty ones; other lines pass through unchanged. */
export function prettyLogLine(): (line: string) => string {
  const format = prettyFactory({ ...PRETTY_OPTIONS, colorize: process.stderr.isTTY === true });
  return (line) => {
    if (!line.startsWith('{')) return `${line}\n`;
    try {
      return format(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return `${line}\n`;
    }
  };
}
