// The edge as its own process for bench:gateway, so that the benchmark driver (AWS SDK set-up, wrk runs) never shares
// its event loop. Started with the DDN_* variables in its environment; reports its URL over IPC and stops on SIGTERM
// (which also writes the CPU profile when started with --cpu-prof).
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/config/logger.ts';
import { startEdge } from '../../src/edge/start.ts';

const config = loadConfig();
const running = await startEdge(config, createLogger('bench-edge', config.logLevel));
process.send?.({ url: running.edge.url, region: config.region, accountId: config.accountId });
process.once('SIGTERM', () => {
  void running.close().finally(() => process.exit(0));
});
