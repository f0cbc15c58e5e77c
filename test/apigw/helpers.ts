import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { zipSync, strToU8 } from 'fflate';
import type { CliOutput } from '../helpers/aws-cli.ts';
import {
  ApiGatewayV2Client,
  CreateApiCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  CreateStageCommand,
} from '@aws-sdk/client-apigatewayv2';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { TestEdge } from '../helpers/edge.ts';
import { ensureLambdaRole } from '../helpers/iam.ts';

const run = promisify(execFile);

/** Runs the aws CLI against the edge; parses JSON output when there is any. */
export async function aws(edge: TestEdge, args: string[]): Promise<CliOutput> {
  const { stdout } = await run('aws', [...args, '--output', 'json'], { env: edge.env, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

/** Runs the aws CLI and returns its failure (exit code, stderr); throws if it succeeded. */
export async function awsFails(edge: TestEdge, args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run('aws', args, { env: edge.env });
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error(`aws ${args.join(' ')} succeeded`);
}

/** Creates a Node.js function from `source` (an ES module exporting `handler`) with the aws CLI. */
export async function createFunction(edge: TestEdge, name: string, source: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-fn-'));
  const zipFile = path.join(dir, 'fn.zip');
  writeFileSync(zipFile, zipSync({ 'index.mjs': strToU8(source) }));
  await ensureLambdaRole(edge, 'lambda-role');
  const out = await aws(edge, [
    'lambda',
    'create-function',
    '--function-name',
    name,
    '--runtime',
    'nodejs20.x',
    '--handler',
    'index.handler',
    '--role',
    'arn:aws:iam::000000000000:role/lambda-role',
    '--zip-file',
    `fileb://${zipFile}`,
  ]);
  return out.FunctionArn as string;
}

/** Lets API Gateway invoke `name` from any stage/route of `apiId`, as the platform's scripts do. */
export async function allowApi(edge: TestEdge, name: string, apiId: string): Promise<void> {
  await aws(edge, [
    'lambda',
    'add-permission',
    '--function-name',
    name,
    '--statement-id',
    'apigateway-access',
    '--action',
    'lambda:InvokeFunction',
    '--principal',
    'apigateway.amazonaws.com',
    '--source-arn',
    `arn:aws:execute-api:${edge.region}:${edge.config.accountId}:${apiId}/*/*`,
  ]);
}

/** A function that answers with the event it received. */
export const ECHO_FUNCTION = `export const handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });`;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A loopback HTTP upstream that records what it receives; `handler` may answer differently. */
export async function startUpstream(
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void,
) {
  const received: RecordedRequest[] = [];
  const answer = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    if (handler) return handler(req, res, body);
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
    res.end(JSON.stringify({ ok: true, path: req.url }));
  };
  const server = http.createServer((req, res) => void answer(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** SDK v3 clients pointed at the edge. */
export function clients(edge: TestEdge) {
  const config = { region: edge.region, endpoint: edge.url, credentials: edge.credentials };
  return { apigw: new ApiGatewayV2Client(config), lambda: new LambdaClient(config) };
}

export interface RouteSpec {
  routeKey: string;
  /** A Lambda function ARN (AWS_PROXY) or an http URL (HTTP_PROXY). */
  target: string;
  payloadFormatVersion?: '1.0' | '2.0';
  timeoutInMillis?: number;
}

/** Creates an API with `routes` and an auto-deployed stage (`$default` unless named); returns its id and base URL. */
export async function deployApi(
  edge: TestEdge,
  routes: RouteSpec[],
  stage: { stageName?: string; [k: string]: unknown } = {},
  api: Record<string, unknown> = {},
) {
  const { apigw } = clients(edge);
  const created = await apigw.send(new CreateApiCommand({ Name: 'test-api', ProtocolType: 'HTTP', ...api }));
  const apiId = created.ApiId!;
  for (const r of routes) {
    const isHttp = r.target.startsWith('http');
    const integration = await apigw.send(
      new CreateIntegrationCommand({
        ApiId: apiId,
        IntegrationType: isHttp ? 'HTTP_PROXY' : 'AWS_PROXY',
        IntegrationUri: r.target,
        IntegrationMethod: isHttp ? 'ANY' : undefined,
        PayloadFormatVersion: r.payloadFormatVersion ?? (isHttp ? '1.0' : '2.0'),
        TimeoutInMillis: r.timeoutInMillis,
      }),
    );
    await apigw.send(
      new CreateRouteCommand({
        ApiId: apiId,
        RouteKey: r.routeKey,
        Target: `integrations/${integration.IntegrationId}`,
      }),
    );
  }
  const stageName = stage.stageName ?? '$default';
  await apigw.send(new CreateStageCommand({ ApiId: apiId, AutoDeploy: true, ...stage, StageName: stageName }));
  const base = `${edge.url}/_aws/execute-api/${apiId}${stageName === '$default' ? '' : `/${stageName}`}`;
  return { apiId, base, apigw };
}

/** Creates a function through the SDK and lets every route of `apiId` invoke it. */
export async function sdkFunction(edge: TestEdge, name: string, source: string): Promise<string> {
  const { lambda } = clients(edge);
  await ensureLambdaRole(edge, 'lambda-role');
  const out = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::000000000000:role/lambda-role',
      Code: { ZipFile: zipSync({ 'index.mjs': strToU8(source) }) },
    }),
  );
  return out.FunctionArn!;
}

export async function sdkAllow(edge: TestEdge, name: string, apiId: string): Promise<void> {
  await clients(edge).lambda.send(
    new AddPermissionCommand({
      FunctionName: name,
      StatementId: `apigw-${apiId}`,
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: `arn:aws:execute-api:${edge.region}:${edge.config.accountId}:${apiId}/*/*`,
    }),
  );
}
