import type { Config } from '../config/index.ts';
import { createLogger, type Logger } from '../config/logger.ts';
import { BlobStore } from '../state/blobs.ts';
import { resolveEdgeCredentials } from '../state/credentials.ts';
import { openStateDatabase, type StateDatabase } from '../state/database.ts';
import { Edge } from './server.ts';
import { LambdaService } from '../lambda/service.ts';
import { StsService } from '../lambda/sts.ts';
import type { EdgeService } from './types.ts';
import { apigwDataPlaneFactory, apigwManagementFactory } from '../apigw/index.ts';
import { createS3Service } from '../s3/service.ts';

/** What every service on the edge is built from. */
export interface ServiceDeps {
  config: Config;
  db: StateDatabase;
  blobs: BlobStore;
  edge: Edge;
  logger: Logger;
}

type ServiceFactory = (deps: ServiceDeps) => EdgeService | Promise<EdgeService>;

/** The services of the edge, in registration order. Each component adds its factory here. */
const serviceFactories: ServiceFactory[] = [createS3Service, (deps) => new LambdaService(deps), (deps) => new StsService(deps), apigwManagementFactory, apigwDataPlaneFactory];

export interface RunningEdge {
  edge: Edge;
  deps: ServiceDeps;
  close(): Promise<void>;
}

/** Opens the state under `config.dataDir`, builds every service and starts listening. */
export async function startEdge(config: Config, logger: Logger = createLogger('edge', config.logLevel)): Promise<RunningEdge> {
  const startedAt = Date.now();
  const db = openStateDatabase(config.dataDir);
  const blobs = new BlobStore(config.dataDir);
  const leftovers = blobs.cleanupTemporaryFiles();
  if (leftovers > 0) logger.info({ leftovers }, 'removed temporary files left by an earlier crash');
  const credentials = resolveEdgeCredentials(config.dataDir, {
    accessKeyId: config.localAccessKeyId,
    secretAccessKey: config.localSecretAccessKey,
  });
  const edge = new Edge({ host: config.edgeHost, port: config.edgePort, credentials, logger, publicUrl: config.publicUrl, region: config.region, bodyIdleTimeoutMs: config.bodyIdleTimeoutS * 1000 });
  const deps: ServiceDeps = { config, db, blobs, edge, logger };
  for (const factory of serviceFactories) edge.register(await factory(deps));
  const referenced = new Set<string>();
  for (const service of edge.services.values()) for (const id of service.referencedBlobs?.() ?? []) referenced.add(id);
  const orphans = blobs.removeUnreferenced(referenced, startedAt);
  if (orphans > 0) logger.info({ orphans }, 'removed blobs no metadata references (an earlier crash before commit)');
  await edge.listen();
  return {
    edge,
    deps,
    async close() {
      await edge.close();
      db.close();
    },
  };
}
