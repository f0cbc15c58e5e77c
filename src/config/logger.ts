import pino from 'pino';

export type Logger = pino.Logger;

/** JSON-lines logger on stderr (stdout stays for what a command prints for people). */
export function createLogger(name: string, level: string = process.env.DDN_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}
