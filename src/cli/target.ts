import type { Config } from '../config/index.ts';
import type { Endpoint } from '../client/aws-clients.ts';
import { buildDeclaration, type Declaration } from '../deploy/declaration.ts';
import { CliError, EXIT_USAGE } from './errors.ts';
import { localDeclaration, localEdgeEndpoint } from './local-edge.ts';

export interface TargetOptions {
  local?: boolean;
  aws?: boolean;
}

export interface ChosenTarget {
  name: 'local' | 'aws';
  endpoint: Endpoint;
}

/** `--local` (the default): the edge of this machine; `--aws`: AWS with the standard credential chain (AWS_PROFILE, env, SSO...). */
export function chooseTarget(opts: TargetOptions, config: Config): ChosenTarget {
  if (opts.local && opts.aws) throw new CliError('--local and --aws exclude each other: pick one', EXIT_USAGE);
  if (opts.aws) return { name: 'aws', endpoint: { region: config.region } };
  return { name: 'local', endpoint: localEdgeEndpoint(config) };
}

/** The declaration for a target; locally the backend defaults to the inference server of `ddn up`. */
export function declarationFor(target: ChosenTarget, config: Config): Declaration {
  if (target.name === 'aws') return buildDeclaration(config);
  return localDeclaration(
    config,
    target.endpoint.url!,
    config.albDns ?? `${config.inferenceHost}:${config.inferencePort}`,
  );
}
