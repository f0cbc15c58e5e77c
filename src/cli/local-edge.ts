import type { Config } from '../config/index.ts';
import { DEFAULT_ACCESS_LOG_FORMAT } from '../apigw/access-log.ts';
import { buildPresignZip } from '../functions/presign/bundle.ts';
import type { Endpoint } from '../client/aws-clients.ts';
import { buildDeclaration, type Declaration } from '../deploy/declaration.ts';
import { resolveEdgeCredentials } from '../state/credentials.ts';

/** The local edge as an SDK endpoint: its address and the key pair it accepts. */
export function localEdgeEndpoint(config: Config): Endpoint {
  const host = config.edgeHost === '0.0.0.0' || config.edgeHost === '::' ? '127.0.0.1' : config.edgeHost;
  return {
    url: config.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.edgePort}`,
    region: config.region,
    credentials: resolveEdgeCredentials(config.dataDir, {
      accessKeyId: config.localAccessKeyId,
      secretAccessKey: config.localSecretAccessKey,
    }),
  };
}

/** Where the local platform sends the API's access log (the edge writes it under its data directory). */
export function localAccessLogArn(config: Config): string {
  return `arn:aws:logs:${config.region}:${config.accountId}:log-group:/ddn/${config.apiName}`;
}

/** The declaration for the local edge at `edgeUrl`, with the HTTP_PROXY integration on `albDns`. */
export function localDeclaration(config: Config, edgeUrl: string, albDns: string): Declaration {
  return buildDeclaration(config, {
    albDns,
    s3Endpoint: edgeUrl,
    placeholderRole: true,
    cognitoIssuerBase: edgeUrl,
    accessLog: { destinationArn: localAccessLogArn(config), format: DEFAULT_ACCESS_LOG_FORMAT },
  });
}

/** The presign function's zip, built in-process (the same bundle `npm run build:lambda` writes to dist/presign.zip). */
export function presignZip(): Promise<Uint8Array> {
  return buildPresignZip();
}
