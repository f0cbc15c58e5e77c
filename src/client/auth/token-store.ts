import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** What `ddn login` keeps: the tokens of one user of one app client. */
export interface StoredTokens {
  issuer: string;
  clientId: string;
  username: string;
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms at which the ID and access tokens expire. */
  expiresAt: number;
}

const storedTokens = z.object({
  issuer: z.string(),
  clientId: z.string(),
  username: z.string(),
  idToken: z.string(),
  accessToken: z.string(),
  refreshToken: z.string().optional(),
  expiresAt: z.number(),
});

/** The tokens file in the data dir: owner-only (0600) in an owner-only folder, written atomically. */
export class TokenStore {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'auth', 'tokens.json');
  }

  read(): StoredTokens | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const result = storedTokens.safeParse(parsed);
    return result.success ? result.data : undefined;
  }

  write(tokens: StoredTokens): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(tokens, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /** True when there was something to forget. */
  clear(): boolean {
    try {
      rmSync(this.file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}
