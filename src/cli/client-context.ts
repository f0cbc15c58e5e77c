import { loadConfig, loadDotenv, type Config } from '../config/index.ts';
import { CliError, EXIT_USAGE } from './errors.ts';

/** Configuration of the client commands: `.env` + environment, and the API endpoint they all need. */
export function clientContext(): { config: Config; apiEndpoint: string } {
  loadDotenv();
  const config = loadConfig();
  if (!config.apiEndpoint) {
    throw new CliError('DDN_APIGW_ENDPOINT is not set: run ddn up (local) or ddn deploy --aws, which write it to .env, or export it', EXIT_USAGE);
  }
  return { config, apiEndpoint: config.apiEndpoint.replace(/\/+$/, '') };
}

/** Parses an integer option, or fails as bad usage naming the option. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`, EXIT_USAGE);
  return n;
}

export function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${name} must be a positive number (got ${JSON.stringify(value)})`, EXIT_USAGE);
  return n;
}

export function modelOption(value: string | undefined): 'efficient' | 'powerful' | undefined {
  if (value === undefined || value === 'efficient' || value === 'powerful') return value;
  throw new CliError(`--model must be efficient or powerful (got ${JSON.stringify(value)})`, EXIT_USAGE);
}
