import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { zipSync } from 'fflate';

const ENTRY = fileURLToPath(new URL('./index.ts', import.meta.url));
/** A fixed timestamp makes the zip, and so Lambda's CodeSha256, depend only on the code. */
const ZIP_MTIME = new Date('2000-01-01T00:00:00');

let cached: Promise<Uint8Array> | undefined;

/**
 * The presign function's deployment package: `index.js` (CommonJS, AWS SDK bundled, handler `index.handler`),
 * zipped. Built once per process.
 */
export function buildPresignZip(): Promise<Uint8Array> {
  cached ??= (async () => {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      platform: 'node',
      target: 'node18',
      format: 'cjs',
      minify: true,
      legalComments: 'none',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0].contents;
    return zipSync({ 'index.js': [code, { level: 9, mtime: ZIP_MTIME }] });
  })();
  cached.catch(() => (cached = undefined));
  return cached;
}
