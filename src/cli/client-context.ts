import type { Command } from 'commander';
import { INVOCATION_DEFAULTS } from '../client/denoise.ts';
import { loadConfig, loadDotenv, type Config } from '../config/index.ts';
import { CliError, EXIT_USAGE } from './errors.ts';
import { LoginSession, staticToken, type ApiAuth } from '../client/auth/session.ts';
import { TokenStore } from '../client/auth/token-store.ts';

/** Configuration of the client commands: `.env` + environment, the API endpoint they all need, and the user's token. */
export function clientContext(): { config: Config; apiEndpoint: string; auth?: ApiAuth } {
  loadDotenv();
  const config = loadConfig();
  if (!config.apiEndpoint) {
    throw new CliError(
      'DDN_APIGW_ENDPOINT is not set: run ddn up (local) or ddn deploy --aws, which write it to .env, or export it',
      EXIT_USAGE,
    );
  }
  return { config, apiEndpoint: config.apiEndpoint.replace(/\/+$/, ''), auth: apiAuth(config) };
}

/**
 * DDN_API_TOKEN when set, else the tokens of `ddn login` when they belong to the pool of `.env` (a login to
 * another pool is not sent); undefined when neither: requests go unsigned and the API says whether it minds.
 */
export function apiAuth(config: Config): ApiAuth | undefined {
  if (config.apiToken) return staticToken(config.apiToken);
  const tokens = new TokenStore(config.dataDir).read();
  if (!tokens) return undefined;
  const otherPool = config.cognitoIssuer !== undefined && tokens.issuer !== config.cognitoIssuer;
  const otherClient = config.cognitoClientId !== undefined && tokens.clientId !== config.cognitoClientId;
  if (config.cognitoIssuer && (otherPool || otherClient)) return undefined;
  return new LoginSession(tokens, new TokenStore(config.dataDir), config.region);
}

/** Parses an integer option, or fails as bad usage naming the option. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new CliError(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`, EXIT_USAGE);
  return n;
}

export function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`${name} must be a positive number (got ${JSON.stringify(value)})`, EXIT_USAGE);
  return n;
}

export function modelOption(value: string | undefined): 'efficient' | 'powerful' | undefined {
  if (value === undefined || value === 'efficient' || value === 'powerful') return value;
  throw new CliError(`--model must be efficient or powerful (got ${JSON.stringify(value)})`, EXIT_USAGE);
}

/** The options of `ddn invoke` and `ddn denoise` that become `/invocations` parameters, as commander gives them. */
export interface InvocationOptions {
  model?: string;
  strength?: string;
  offset?: string;
  bits?: string;
  pixelPitch?: string;
}

export function withInvocationOptions(command: Command): Command {
  return command
    .option('--model <name>', 'efficient or powerful', INVOCATION_DEFAULTS.model)
    .option(
      '--strength <n>',
      'denoising strength 0..20 (0 returns the input unchanged)',
      String(INVOCATION_DEFAULTS.strength),
    )
    .option('--offset <dn>', 'digital offset (dark level) in DN', String(INVOCATION_DEFAULTS.digitalOffset))
    .option('--bits <n>', 'bits used by the detector, 1..16', String(INVOCATION_DEFAULTS.usingBits))
    .option('--pixel-pitch <mm>', 'pixel pitch in mm', String(INVOCATION_DEFAULTS.pixelPitch));
}

/** Those options parsed, or bad usage naming the option. */
export function invocationParameters(opts: InvocationOptions) {
  return {
    model: modelOption(opts.model),
    strength: intOption('--strength', opts.strength, 0, 20),
    digitalOffset: intOption('--offset', opts.offset, 0, 65535),
    usingBits: intOption('--bits', opts.bits, 1, 16),
    pixelPitch: numberOption('--pixel-pitch', opts.pixelPitch),
  };
}
