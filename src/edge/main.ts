// The edge as a process of its own, for tests that kill it and benchmarks that measure it apart from their driver.
// Configured by the DDN_* variables (e.g. DDN_EDGE_PORT=0); once listening it reports { url, region, accountId,
// credentials } over IPC when started with an IPC channel, else as one JSON line on stdout. SIGTERM stops it
// (and writes a CPU profile when Node runs with --cpu-prof).
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../config/logger.ts';
import { startEdge } from './start.ts';

export interface EdgeProcessReady {
  url: string;
  region: string;
  accountId: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

const config = loadConfig();
const running = await startEdge(config, createLogger('edge', config.logLevel));
const { accessKeyId, secretAccessKey } = running.edge.credentials;
const ready: EdgeProcessReady = {
  url: running.edge.url,
  region: config.region,
  accountId: config.accountId,
  credentials: { accessKeyId, secretAccessKey },
};
if (process.send) process.send(ready);
else process.stdout.write(`${JSON.stringify(ready)}\n`);
process.once('SIGTERM', () => {
  void running.close().finally(() => process.exit(0));
});
