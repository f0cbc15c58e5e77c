import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.ts';
import { CliError, EXIT_REMOTE_FAILURE, EXIT_USAGE } from './errors.ts';
import { registerEnv } from './env.ts';
import { registerUp } from './up.ts';
import { registerDeploy } from './deploy.ts';
import { registerDestroy } from './destroy.ts';
import { registerPing } from './ping.ts';
import { registerUpload } from './upload.ts';
import { registerDownload } from './download.ts';
import { registerInvoke } from './invoke.ts';
import { registerDenoise } from './denoise.ts';
import { registerPhantom } from './phantom.ts';
import { registerLogin } from './login.ts';
import { registerUser } from './user.ts';
import { registerUsage } from './usage.ts';

// Node 20 is this project's runtime; the SDK's notice about future versions is noise on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command('ddn')
  .description('ddn: the deep-denoising platform, locally and on AWS')
  .showHelpAfterError('(run ddn --help for usage)')
  .exitOverride();

registerUp(program);
registerDeploy(program);
registerDestroy(program);
registerPing(program);
registerUpload(program);
registerDownload(program);
registerInvoke(program);
registerDenoise(program);
registerPhantom(program);
registerLogin(program);
registerUser(program);
registerUsage(program);
registerEnv(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
  } else if (err instanceof ConfigError) {
    process.stderr.write(`ddn: ${err.message}\n`);
    process.exitCode = EXIT_USAGE;
  } else if (err instanceof CliError) {
    process.stderr.write(`ddn: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`ddn: ${(err as Error).message ?? String(err)}\n`);
    process.exitCode = EXIT_REMOTE_FAILURE;
  }
}
