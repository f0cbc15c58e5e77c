import type { SignInSettings } from '../deploy/apply.ts';
import { upsertEnvFile } from './env-file.ts';

/** Writes what `ddn login` and `ddn user add` need to `.env`, beside DDN_APIGW_ENDPOINT. */
export function recordSignIn(envFile: string, auth: SignInSettings | undefined): void {
  if (!auth) return;
  upsertEnvFile(envFile, 'DDN_COGNITO_ISSUER', auth.issuer);
  upsertEnvFile(envFile, 'DDN_COGNITO_CLIENT_ID', auth.clientId);
}

/** The lines that tell a user how to get in once sign-in is on. */
export function signInHelp(auth: SignInSettings, local: boolean): string[] {
  const addUser = local
    ? ['  ./ddn user add alice                 # asks for a password (or --password P)']
    : [
        `  aws cognito-idp admin-create-user --user-pool-id ${auth.userPoolId} --username alice --message-action SUPPRESS`,
        `  aws cognito-idp admin-set-user-password --user-pool-id ${auth.userPoolId} --username alice --password 'P' --permanent`,
      ];
  return [
    `Sign-in is on: /presign and /invocations need a token of user pool ${auth.userPoolId} (app client ${auth.clientId}); /ping is open.`,
    'Create a user and sign in:',
    ...addUser,
    '  ./ddn login --username alice         # keeps the tokens in the data dir; ./ddn logout forgets them',
  ];
}
