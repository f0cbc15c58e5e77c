// Runs an edge for the S3 benchmark in its own process (so its memory can be measured) and prints its address.
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/config/logger.ts';
import { startEdge } from '../../src/edge/start.ts';

const config = loadConfig({ ...process.env, DDN_EDGE_HOST: '127.0.0.1', DDN_EDGE_PORT: '0', DDN_LOG_LEVEL: 'silent' });
const running = await startEdge(config, createLogger('bench-edge', 'silent'));
process.stdout.write(JSON.stringify({ url: running.edge.url, credentials: running.edge.credentials }) + '\n');
process.on('SIGTERM', () => void running.close().then(() => process.exit(0)));
