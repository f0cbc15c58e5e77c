import { createHash } from 'node:crypto';

/** The path form of function URLs on the edge: `/_ddn/lambda-url/{urlId}/...` (hosts need no name resolution). */
export const FUNCTION_URL_PATH = '/_ddn/lambda-url/';
/** `{urlId}.lambda-url.{region}.localhost[:port]`: AWS's `{urlId}.lambda-url.{region}.on.aws`, locally. */
export const FUNCTION_URL_HOST = /^([a-z0-9]{32})\.lambda-url\.[a-z0-9-]+\.localhost(?::\d+)?$/;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A URL id: 32 lowercase letters and digits, the same for a function's qualifier whenever its URL is (re)created. */
export function functionUrlId(region: string, accountId: string, functionName: string, qualifier: string): string {
  const digest = createHash('sha256').update(`${region}:${accountId}:${functionName}:${qualifier}`).digest();
  let id = '';
  for (let i = 0; i < 32; i++) id += ALPHABET[digest[i] % ALPHABET.length];
  return id;
}

/** The URL's host name (no port), as the event's `domainName` shows it. */
export function functionUrlDomain(urlId: string, region: string): string {
  return `${urlId}.lambda-url.${region}.localhost`;
}

/** `FunctionUrl`: the host form on the edge's scheme and port (`http://{urlId}.lambda-url.{region}.localhost:4566/`). */
export function functionUrl(publicUrl: string, urlId: string, region: string): string {
  const edge = new URL(publicUrl);
  return `${edge.protocol}//${functionUrlDomain(urlId, region)}${edge.port ? `:${edge.port}` : ''}/`;
}
