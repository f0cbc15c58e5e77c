import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PAGE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'page');

export interface Asset {
  contentType: string;
  body: Buffer;
}

/**
 * Builds the page in memory: index.html and style.css as they are, main.ts bundled by esbuild into
 * app.js plus lazily loaded chunks (geotiff's rarer decoders), so nothing is fetched from a CDN.
 */
export async function buildConsoleAssets(): Promise<Map<string, Asset>> {
  const esbuild = await import('esbuild').catch(() => {
    throw new Error('the console needs esbuild, which is not installed (run npm install)');
  });
  const result = await esbuild.build({
    entryPoints: { app: path.join(PAGE_DIR, 'main.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    write: false,
    outdir: '/console',
    chunkNames: 'chunk-[hash]',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    assets.set(path.basename(file.path), {
      contentType: 'text/javascript; charset=utf-8',
      body: Buffer.from(file.contents),
    });
  }
  assets.set('index.html', {
    contentType: 'text/html; charset=utf-8',
    body: await readFile(path.join(PAGE_DIR, 'index.html')),
  });
  assets.set('style.css', {
    contentType: 'text/css; charset=utf-8',
    body: await readFile(path.join(PAGE_DIR, 'style.css')),
  });
  return assets;
}
