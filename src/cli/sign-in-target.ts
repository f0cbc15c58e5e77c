import type { Config } from '../config/index.ts';
import type { UserPoolTarget } from '../client/auth/cognito.ts';
import { CliError, EXIT_USAGE } from './errors.ts';

/** The user pool and app client of `.env` (written by ddn up / ddn deploy with DDN_AUTH=cognito). */
export function signInTarget(config: Config): UserPoolTarget {
  if (!config.cognitoIssuer || !config.cognitoClientId) {
    throw new CliError(
      'sign-in is not set up: DDN_COGNITO_ISSUER and DDN_COGNITO_CLIENT_ID are not set. Run ddn up or ddn deploy with DDN_AUTH=cognito, ' +
        'which write them to .env (or export them: the issuer is {cognito endpoint}/{user pool id})',
      EXIT_USAGE,
    );
  }
  return { issuer: config.cognitoIssuer, clientId: config.cognitoClientId, region: config.region };
}
