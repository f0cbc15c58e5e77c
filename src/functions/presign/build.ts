// `npm run build:lambda`: writes the presign function's deployment package to dist/presign.zip.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { buildPresignZip } from './bundle.ts';

const target = fileURLToPath(new URL('../../../dist/presign.zip', import.meta.url));
mkdirSync(path.dirname(target), { recursive: true });
const zip = await buildPresignZip();
writeFileSync(target, zip);
console.log(`${path.relative(process.cwd(), target)} (${zip.length} bytes, handler index.handler)`);
