// `npm run chaos [-- --short]`: fault scenarios against a real `ddn up` on loopback; prints what held.
// Exit code 1 when a scenario failed.
import { runChaos } from './scenarios.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const short = process.argv.includes('--short');
process.stdout.write(`ddn chaos (${short ? 'short' : 'full'} form)\n`);
const reports = await runChaos({ short });
const failed = reports.filter((r) => r.result === 'FAILED').length;
process.stdout.write(`${reports.length - failed} held, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
