import type { Command } from 'commander';
import { ping } from '../client/api.ts';
import { clientContext } from './client-context.ts';
import { ms, printJson } from './output.ts';

/** `ddn ping`: GET {api}/ping, the inference service through the API. */
export function registerPing(program: Command): void {
  program
    .command('ping')
    .description('GET /ping through the API (DDN_APIGW_ENDPOINT): is the inference service reachable?')
    .option('--json', 'print a JSON object')
    .action(async (opts: { json?: boolean }) => {
      const { apiEndpoint, auth } = clientContext();
      const { value, ms: elapsed } = await ping(apiEndpoint, auth);
      if (opts.json) return printJson({ endpoint: apiEndpoint, response: value, ms: elapsed });
      process.stdout.write(`${JSON.stringify(value)}  (${ms(elapsed)}, ${apiEndpoint}/ping)\n`);
    });
}
