import type { Command } from 'commander';
import { loadConfig, loadDotenv } from '../config/index.ts';
import { signIn } from '../client/auth/cognito.ts';
import { TokenStore } from '../client/auth/token-store.ts';
import { describeAwsError } from '../deploy/target.ts';
import { CliError } from './errors.ts';
import { printJson } from './output.ts';
import { Prompter } from './prompt.ts';
import { signInTarget } from './sign-in-target.ts';

interface LoginOptions {
  username?: string;
  password?: string;
  newPassword?: string;
  json?: boolean;
}

/** `ddn login` / `ddn logout`: the user's tokens, kept owner-only in the data dir for the client commands. */
export function registerLogin(program: Command): void {
  program
    .command('login')
    .description(
      "sign in to the API's user pool (USER_PASSWORD_AUTH); the tokens are kept in the data dir for ping, upload, download, invoke, denoise",
    )
    .option('--username <name>', 'user name (asked when not given)')
    .option('--password <password>', 'password (asked, hidden, when not given; or one line on stdin)')
    .option(
      '--new-password <password>',
      'the new password, when the user still has a temporary one (else asked, or the next stdin line)',
    )
    .option('--json', 'print a JSON object')
    .action(async (opts: LoginOptions) => {
      loadDotenv();
      const config = loadConfig();
      const target = signInTarget(config);
      const prompter = new Prompter();
      const username = opts.username ?? (await prompter.ask('username: '));
      const password = opts.password ?? (await prompter.ask('password: ', { secret: true }));
      let changedPassword = false;
      const tokens = await signIn(target, username, password, async () => {
        changedPassword = true;
        if (opts.newPassword) return opts.newPassword;
        if (!opts.json) process.stderr.write(`${username} has a temporary password: choose a new one.\n`);
        return prompter.ask('new password: ', { secret: true });
      }).catch((err: unknown) => {
        throw new CliError(`sign-in refused: ${describeAwsError(err)}${loginHint(err)}`);
      });
      const store = new TokenStore(config.dataDir);
      store.write(tokens);
      const expiresAt = new Date(tokens.expiresAt).toISOString();
      if (opts.json)
        return printJson({
          username,
          issuer: tokens.issuer,
          clientId: tokens.clientId,
          expiresAt,
          tokensFile: store.file,
          changedPassword,
        });
      if (changedPassword) process.stdout.write(`password of ${username} changed\n`);
      process.stdout.write(
        `signed in as ${username} (tokens in ${store.file}, valid until ${expiresAt}; refreshed when they expire)\n`,
      );
    });

  program
    .command('logout')
    .description('forget the tokens of ddn login')
    .action(() => {
      loadDotenv();
      const store = new TokenStore(loadConfig().dataDir);
      const tokens = store.read();
      const removed = store.clear();
      process.stdout.write(
        removed ? `signed out${tokens ? ` ${tokens.username}` : ''} (removed ${store.file})\n` : 'not signed in\n',
      );
    });
}

function loginHint(err: unknown): string {
  const name = (err as { name?: string }).name;
  if (name === 'NotAuthorizedException' || name === 'UserNotFoundException')
    return ' (check the user name and password)';
  if (name === 'ResourceNotFoundException')
    return ' (the app client is gone: run ddn up or ddn deploy again, which write DDN_COGNITO_CLIENT_ID to .env)';
  if (name === 'InvalidPasswordException')
    return " (the new password does not meet the pool's policy: 8+ characters with upper- and lower-case letters, digits and symbols)";
  return '';
}
