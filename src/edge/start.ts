import type { Config } from '../config/index.ts';
import { createLogger, type Logger } from '../config/logger.ts';
import { createApigwServices } from '../apigw/index.ts';
import { LambdaService } from '../lambda/service.ts';
import { FunctionUrlPlane } from '../lambda/function-url-plane.ts';
import { createS3Service } from '../s3/service.ts';
import { ApigwMetadata } from '../state/apigw-metadata.ts';
import { BlobStore } from '../state/blobs.ts';
import { resolveEdgeCredentials } from '../state/credentials.ts';
import { openStateDatabase } from '../state/database.ts';
import { LambdaCodeStore } from '../state/lambda-code.ts';
import { LambdaMetadata } from '../state/lambda-metadata.ts';
import { LambdaFunctionUrls } from '../state/lambda-function-urls.ts';
import { LambdaLayers } from '../state/lambda-layers.ts';
import { S3Metadata } from '../state/s3-metadata.ts';
import { createStsService } from '../sts/service.ts';
import { Edge } from './server.ts';
import type { LambdaInvoker } from '../lambda/invoker.ts';
import { createIamService } from '../iam/service.ts';
import { IamMetadata } from '../state/iam-metadata.ts';
import { createCognitoService } from '../cognito/service.ts';
import { CognitoMetadata } from '../state/cognito-metadata.ts';

export interface RunningEdge {
  edge: Edge;
  /** Lambda's public interface (the one API Gateway is given), for tests and tools. */
  lambda: LambdaInvoker;
  close(): Promise<void>;
}

/**
 * Opens the state under `config.dataDir`, builds every service from its store and the interfaces it needs,
 * and starts listening. Adding a service: build it here (see docs/adding-a-service.md).
 */
export async function startEdge(
  config: Config,
  logger: Logger = createLogger('edge', config.logLevel),
): Promise<RunningEdge> {
  const startedAt = Date.now();
  const db = openStateDatabase(config.dataDir);
  const blobs = new BlobStore(config.dataDir);
  const leftovers = blobs.cleanupTemporaryFiles();
  if (leftovers > 0) logger.info({ leftovers }, 'removed temporary files left by an earlier crash');
  const credentials = resolveEdgeCredentials(config.dataDir, {
    accessKeyId: config.localAccessKeyId,
    secretAccessKey: config.localSecretAccessKey,
  });
  const edge = new Edge({
    host: config.edgeHost,
    port: config.edgePort,
    credentials,
    logger,
    publicUrl: config.publicUrl,
    region: config.region,
    bodyIdleTimeoutMs: config.bodyIdleTimeoutS * 1000,
  });
  const { region, accountId } = config;

  const iam = createIamService({ store: new IamMetadata(db), accountId });
  const s3 = createS3Service({ meta: new S3Metadata(db), blobs, region, logger, endpoint: edge });
  const lambdaMetadata = new LambdaMetadata(db);
  const functionUrls = new LambdaFunctionUrls(db);
  const lambda = new LambdaService({
    metadata: lambdaMetadata,
    functionUrls,
    code: new LambdaCodeStore(config.dataDir, blobs),
    layers: new LambdaLayers(db),
    region,
    accountId,
    logger,
    endpoint: edge,
    dataDir: config.dataDir,
    stateDelayMs: config.lambdaStateDelayMs,
    retryBaseMs: config.lambdaRetryBaseMs,
    roles: iam,
    s3Objects: (bucket, key, versionId) => s3.openObject(bucket, key, versionId),
  });
  edge.register(s3);
  edge.register(lambda);
  edge.register(
    new FunctionUrlPlane({
      urls: functionUrls,
      metadata: lambdaMetadata,
      lambda,
      region,
      accountId,
      endpoint: edge,
      logger,
    }),
  );
  edge.register(createStsService({ accountId }));
  edge.register(iam);
  edge.register(createCognitoService({ store: new CognitoMetadata(db), region, accountId, endpoint: edge }));
  const apigw = createApigwServices({
    store: new ApigwMetadata(db),
    region,
    accountId,
    dataDir: config.dataDir,
    logger,
    endpoint: edge,
    lambda,
  });
  for (const service of apigw) edge.register(service);

  const referenced = new Set<string>();
  for (const service of edge.services.values()) for (const id of service.referencedBlobs?.() ?? []) referenced.add(id);
  const orphans = blobs.removeUnreferenced(referenced, startedAt);
  if (orphans > 0) logger.info({ orphans }, 'removed blobs no metadata references (an earlier crash before commit)');
  await edge.listen();
  return {
    edge,
    lambda,
    async close() {
      await edge.close();
      db.close();
    },
  };
}
