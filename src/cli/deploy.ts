import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, loadDotenv } from '../config/index.ts';
import { deploy, deployClients, describeChange, DeclarationError, type Declaration } from '../deploy/index.ts';
import { CliError, EXIT_USAGE } from './errors.ts';
import { upsertEnvFile } from './env-file.ts';
import { presignZip } from './local-edge.ts';
import { recordSignIn, signInHelp } from './sign-in-settings.ts';
import { printJson } from './output.ts';
import { chooseTarget, declarationFor, type TargetOptions } from './target.ts';

/** `ddn deploy [--plan] [--local | --aws]`: reconcile a target to the platform's declaration. */
export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description(
      'create or update the platform (buckets, presign function, HTTP API, permission) on the local edge or on AWS',
    )
    .option('--plan', 'print the changes and apply nothing')
    .option('--local', 'deploy to the local edge (default; it must be running: ddn up)')
    .option('--aws', 'deploy to AWS with the standard credential chain (needs DDN_ALB_DNS and DDN_LAMBDA_ROLE)')
    .option('--json', 'print a JSON object')
    .action(async (opts: TargetOptions & { plan?: boolean; json?: boolean }) => {
      const envFile = path.resolve('.env');
      loadDotenv();
      const config = loadConfig();
      const target = chooseTarget(opts, config);
      let declaration: Declaration;
      try {
        declaration = declarationFor(target, config);
      } catch (err) {
        throw err instanceof DeclarationError ? new CliError(err.message, EXIT_USAGE) : err;
      }
      const code = await presignZip();
      const say = (line: string) => opts.json || process.stdout.write(line + '\n');
      say(
        `${opts.plan ? 'planning' : 'deploying'} ${declaration.api.name} on ${target.name === 'aws' ? `AWS (${config.region})` : `the local edge ${target.endpoint.url}`}`,
      );
      const { plan, result } = await deploy(deployClients(target.endpoint), declaration, code, {
        planOnly: opts.plan,
        onChange: (change) => say(`  ${describeChange(change)}`),
      });
      if (opts.plan) plan.changes.forEach((change) => say(`  ${describeChange(change)}`));
      if (plan.changes.length === 0) say('  no changes: the target matches the declaration');
      for (const route of plan.otherRoutes)
        say(`  (route ${route.routeKey} -> ${route.target ?? 'no target'} is not part of the platform; left alone)`);
      if (result) upsertEnvFile(envFile, 'DDN_APIGW_ENDPOINT', result.apiEndpoint);
      recordSignIn(envFile, result?.auth);
      if (opts.json) {
        return printJson({
          target: target.name,
          planOnly: opts.plan ?? false,
          apiId: result?.apiId ?? plan.apiId ?? null,
          apiEndpoint: result?.apiEndpoint ?? plan.apiEndpoint ?? null,
          changes: plan.changes.map((change) => ({ ...change, description: describeChange(change) })),
          otherRoutes: plan.otherRoutes,
          signIn: result?.auth ?? null,
        });
      }
      if (result) {
        say(`API endpoint: ${result.apiEndpoint}  (written to ${envFile} as DDN_APIGW_ENDPOINT)`);
        if (result.auth) signInHelp(result.auth, target.name === 'local').forEach(say);
        say('next: ddn ping, then ddn denoise IMAGE.tif');
      } else if (plan.changes.length > 0) say('run ddn deploy without --plan to apply these changes');
    });
}
