import type { ServerResponse } from 'node:http';
import type { LambdaCodeStore } from '../state/lambda-code.ts';

export const CODE_PATH = '/_ddn/lambda/code';

/**
 * Serves a function's deployment package at GetFunction's `Code.Location`, and a layer version's archive at
 * GetLayerVersion's `Content.Location` (`/_ddn/lambda/code/{blob}`); `served` holds the blobs in use.
 */
export async function serveCode(
  served: ReadonlySet<string>,
  code: LambdaCodeStore,
  res: ServerResponse,
  rawPath: string,
): Promise<void> {
  const blob = rawPath.slice(`${CODE_PATH}/`.length);
  if (!/^[0-9a-f]{32}$/.test(blob) || !served.has(blob)) {
    res.writeHead(404, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ message: 'Not Found' }));
  }
  const zip = await code.zip(blob);
  res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
  res.end(zip);
}
