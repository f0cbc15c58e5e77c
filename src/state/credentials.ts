import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface EdgeCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The key pair the edge accepts: the configured one, else the one kept in DATA_DIR/credentials.json; writes nothing. */
export function readEdgeCredentials(
  dataDir: string,
  configured?: Partial<EdgeCredentials>,
): EdgeCredentials | undefined {
  if (configured?.accessKeyId && configured.secretAccessKey) {
    return { accessKeyId: configured.accessKeyId, secretAccessKey: configured.secretAccessKey };
  }
  const file = path.join(dataDir, 'credentials.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as EdgeCredentials;
    if (stored.accessKeyId && stored.secretAccessKey) return stored;
  }
  return undefined;
}

/** The key pair the edge accepts: the configured one, else one generated on first start and kept in DATA_DIR/credentials.json. */
export function resolveEdgeCredentials(dataDir: string, configured?: Partial<EdgeCredentials>): EdgeCredentials {
  const known = readEdgeCredentials(dataDir, configured);
  if (known) return known;
  const file = path.join(dataDir, 'credentials.json');
  const generated: EdgeCredentials = {
    accessKeyId: 'AKIA' + randomAlphabet(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'),
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(generated, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  return generated;
}

function randomAlphabet(length: number, alphabet: string): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
