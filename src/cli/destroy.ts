import type { Command } from 'commander';
import { loadConfig, loadDotenv } from '../config/index.ts';
import { buildDeclaration, deployClients, destroy } from '../deploy/index.ts';
import { printJson } from './output.ts';
import { chooseTarget, type TargetOptions } from './target.ts';

/** `ddn destroy [--all [--force]]`: remove every API of the platform's name and the invoke permission. */
export function registerDestroy(program: Command): void {
  program
    .command('destroy')
    .description(
      'delete every API named DDN_APIGW_NAME and the invoke permission; --all also the function and the buckets',
    )
    .option('--all', 'also delete the presign function and the buckets (only when empty, unless --force)')
    .option('--force', "with --all: delete the buckets' objects too")
    .option('--local', 'on the local edge (default)')
    .option('--aws', 'on AWS with the standard credential chain')
    .option('--json', 'print a JSON object')
    .action(async (opts: TargetOptions & { all?: boolean; force?: boolean; json?: boolean }) => {
      loadDotenv();
      const config = loadConfig();
      const target = chooseTarget(opts, config);
      // Destroy only needs the names; the backend address does not matter.
      // Locally, deploy made the function's role (without DDN_LAMBDA_ROLE): --all deletes it too.
      const declaration = buildDeclaration(config, {
        albDns: config.albDns ?? 'unused',
        placeholderRole: target.name === 'local',
      });
      const result = await destroy(deployClients(target.endpoint), declaration, { all: opts.all, force: opts.force });
      if (opts.json) return printJson({ target: target.name, ...result });
      const out = (line: string) => process.stdout.write(line + '\n');
      out(
        result.deletedApis.length
          ? `deleted API ${result.deletedApis.join(', ')} (${declaration.api.name})`
          : `no API named ${declaration.api.name}`,
      );
      out(
        result.permissionRemoved
          ? `removed permission ${declaration.permission.statementId}`
          : `no permission ${declaration.permission.statementId} to remove`,
      );
      if (opts.all) {
        out(
          result.functionDeleted
            ? `deleted function ${declaration.function.name}`
            : `no function ${declaration.function.name}`,
        );
        const role = declaration.role?.name;
        if (role) out(result.roleDeleted ? `deleted role ${role}` : `no role ${role}`);
        for (const bucket of result.buckets)
          out(bucket.deleted ? `deleted bucket ${bucket.name}` : `bucket ${bucket.name}: ${bucket.note}`);
        for (const pool of result.deletedUserPools) {
          out(`deleted user pool ${pool} (${declaration.auth?.userPool.name}) and its users`);
        }
      }
    });
}
