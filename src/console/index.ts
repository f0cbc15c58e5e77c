import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadConfig } from '../config/index.ts';
import type { Edge } from '../edge/server.ts';
import { buildConsoleAssets, type Asset } from './bundle.ts';
import type { ConsoleConfig } from './page/api.ts';
import type { ConsoleSignIn } from './page/sign-in.ts';

export const CONSOLE_PATH = '/_ddn/console';

export interface ConsoleOptions {
  /** Bucket names the page writes into `s3://` URLs; by default DDN_IN_BUCKET / DDN_OUT_BUCKET. */
  inBucket?: string;
  outBucket?: string;
  /** The user pool and app client when the API needs sign-in (read at each request, like the endpoint). */
  signIn?: () => ConsoleSignIn | undefined;
}

/**
 * Serves the web console at `/_ddn/console/`. The page is bundled on the first request and kept in
 * memory; `config.json` tells it the API endpoint (read at each request, so an API deployed after
 * start-up is picked up) and the bucket names.
 */
export function registerConsole(
  edge: Edge,
  getApiEndpoint: () => string | undefined,
  options: ConsoleOptions = {},
): void {
  const buckets =
    options.inBucket && options.outBucket
      ? { inBucket: options.inBucket, outBucket: options.outBucket }
      : bucketsFromEnv(options);
  let assets: Promise<Map<string, Asset>> | undefined;

  edge.route(CONSOLE_PATH, async (req: IncomingMessage, res: ServerResponse, rawPath: string) => {
    if (rawPath === CONSOLE_PATH) return redirect(res, `${CONSOLE_PATH}/`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(
        res,
        405,
        { 'content-type': 'application/json', allow: 'GET, HEAD' },
        JSON.stringify({ message: 'Method Not Allowed' }),
        req.method,
      );
    }
    const name = rawPath.slice(CONSOLE_PATH.length + 1) || 'index.html';
    if (name === 'config.json') {
      const signIn = options.signIn?.();
      const config: ConsoleConfig = {
        apiEndpoint: getApiEndpoint() ?? null,
        ...buckets,
        signIn: signIn ? { issuer: signIn.issuer, clientId: signIn.clientId } : null,
      };
      return send(
        res,
        200,
        { 'content-type': 'application/json', 'cache-control': 'no-store' },
        JSON.stringify(config),
        req.method,
      );
    }
    assets ??= buildConsoleAssets();
    let built: Map<string, Asset>;
    try {
      built = await assets;
    } catch (err) {
      assets = undefined;
      edge.logger.error({ err }, 'could not build the console page');
      return send(
        res,
        500,
        { 'content-type': 'text/plain; charset=utf-8' },
        `The console page could not be built: ${(err as Error).message}\n`,
        req.method,
      );
    }
    const asset = built.get(name);
    if (!asset)
      return send(
        res,
        404,
        { 'content-type': 'text/plain; charset=utf-8' },
        `No such console file: ${name}\n`,
        req.method,
      );
    send(
      res,
      200,
      { 'content-type': asset.contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
      asset.body,
      req.method,
    );
  });
}

function bucketsFromEnv(options: ConsoleOptions): { inBucket: string; outBucket: string } {
  const config = loadConfig();
  return { inBucket: options.inBucket ?? config.inBucket, outBucket: options.outBucket ?? config.outBucket };
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(301, { location, 'content-length': '0' });
  res.end();
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
  method = 'GET',
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
  res.end(method === 'HEAD' ? undefined : bytes);
}
