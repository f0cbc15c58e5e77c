import type { Command } from 'commander';
import { AdminCreateUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { loadConfig, loadDotenv } from '../config/index.ts';
import { cognitoClient } from '../client/aws-clients.ts';
import { userPoolEndpoint } from '../client/auth/cognito.ts';
import { addUser } from '../client/user-pool.ts';
import { describeAwsError } from '../deploy/target.ts';
import { CliError } from './errors.ts';
import { printJson } from './output.ts';
import { Prompter } from './prompt.ts';
import { signInTarget } from './sign-in-target.ts';
import { chooseTarget, type TargetOptions } from './target.ts';

interface UserAddOptions extends TargetOptions {
  password?: string;
  temporary?: boolean;
  json?: boolean;
}

/** `ddn user add NAME`: a user of the platform's pool, created with a permanent password (or its password reset), or a temporary one. */
export function registerUser(program: Command): void {
  const user = program.command('user').description("users of the API's user pool (sign-in on: DDN_AUTH=cognito)");
  user
    .command('add')
    .description('create a user who can ddn login (on the local edge by default)')
    .argument('<name>', 'user name')
    .option('--password <password>', 'the password (asked, hidden, when not given; or one line on stdin)')
    .option('--temporary', 'make it a temporary password: the first ddn login asks for a new one')
    .option('--local', 'in the pool on the local edge (default)')
    .option('--aws', 'in the pool on AWS, with the standard credential chain')
    .option('--json', 'print a JSON object')
    .action(async (name: string, opts: UserAddOptions) => {
      loadDotenv();
      const config = loadConfig();
      const target = chooseTarget(opts, config);
      const pool = userPoolEndpoint(signInTarget(config).issuer);
      const userPoolId = config.cognitoUserPoolId ?? pool.userPoolId;
      const password = opts.password ?? (await new Prompter().ask(`password for ${name}: `, { secret: true }));
      // Locally the issuer names the edge that holds the pool, on whatever port ddn up got.
      const endpoint = target.name === 'local' ? { ...target.endpoint, url: pool.endpoint } : target.endpoint;
      const failed = (err: unknown) => {
        throw new CliError(`adding user ${name} to user pool ${userPoolId} failed: ${describeAwsError(err)}`);
      };
      let sub: string | undefined;
      let created = true;
      if (opts.temporary) {
        const cognito = cognitoClient(endpoint);
        const answer = await cognito
          .send(
            new AdminCreateUserCommand({
              UserPoolId: userPoolId,
              Username: name,
              MessageAction: 'SUPPRESS',
              TemporaryPassword: password,
            }),
          )
          .catch(failed);
        sub = answer.User?.Attributes?.find((a) => a.Name === 'sub')?.Value;
      } else {
        ({ sub, created } = await addUser(endpoint, userPoolId, name, password).catch(failed));
      }
      const status = opts.temporary ? 'FORCE_CHANGE_PASSWORD' : 'CONFIRMED';
      if (opts.json) return printJson({ username: name, userPoolId, sub: sub ?? null, status, created });
      const what = created ? 'created user' : 'set a new password for the existing user';
      const temporary = opts.temporary ? ' (temporary password: the first login asks for a new one)' : '';
      process.stdout.write(`${what} ${name} in user pool ${userPoolId}${temporary}\n`);
      process.stdout.write(`next: ddn login --username ${name}\n`);
    });
}
