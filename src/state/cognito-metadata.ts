import { migrate, type StateDatabase } from './database.ts';

/** A user pool: its settings as the service keeps them, and its two RSA signing keys (private JWKs). */
export interface StoredUserPool {
  id: string;
  name: string;
  /** The pool's settings document (password policy, username attributes, ...), owned by the Cognito service. */
  settings: Record<string, unknown>;
  /** Private JWKs, each with its `kid`: one signs ID tokens, the other access tokens. */
  keys: { id: Record<string, unknown>; access: Record<string, unknown> };
  createdAt: number;
  updatedAt: number;
}

export interface StoredAppClient {
  id: string;
  poolId: string;
  /** The client's settings document, its secret included. */
  settings: Record<string, unknown>;
}

export interface StoredUser {
  poolId: string;
  /** The internal username (the UUID on pools that sign in with an email). */
  username: string;
  sub: string;
  attributes: Record<string, string>;
  /** `scrypt$...` hash; never the password. */
  passwordHash?: string;
  status: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface StoredRefreshToken {
  poolId: string;
  clientId: string;
  sub: string;
  originJti: string;
  authTime: number;
  expiresAt: number;
}

interface PoolRow {
  id: string;
  name: string;
  settings: string;
  keys: string;
  created_at: number;
  updated_at: number;
}

interface UserRow {
  pool_id: string;
  username: string;
  sub: string;
  attributes: string;
  password_hash: string | null;
  status: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

// `username_key` and `email_key` are the lookup forms of the name (lower-cased in case-insensitive pools).
const MIGRATIONS = [
  `CREATE TABLE cognito_pools (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     settings TEXT NOT NULL,
     keys TEXT NOT NULL,
     created_at REAL NOT NULL,
     updated_at REAL NOT NULL
   );
   CREATE TABLE cognito_clients (
     id TEXT PRIMARY KEY,
     pool_id TEXT NOT NULL REFERENCES cognito_pools(id) ON DELETE CASCADE,
     settings TEXT NOT NULL
   );
   CREATE TABLE cognito_users (
     pool_id TEXT NOT NULL REFERENCES cognito_pools(id) ON DELETE CASCADE,
     username_key TEXT NOT NULL,
     username TEXT NOT NULL,
     email_key TEXT,
     sub TEXT NOT NULL UNIQUE,
     attributes TEXT NOT NULL,
     password_hash TEXT,
     status TEXT NOT NULL,
     enabled INTEGER NOT NULL,
     created_at REAL NOT NULL,
     updated_at REAL NOT NULL,
     PRIMARY KEY (pool_id, username_key)
   );
   CREATE INDEX cognito_users_email ON cognito_users (pool_id, email_key);
   CREATE TABLE cognito_refresh_tokens (
     token_hash TEXT PRIMARY KEY,
     pool_id TEXT NOT NULL REFERENCES cognito_pools(id) ON DELETE CASCADE,
     client_id TEXT NOT NULL,
     sub TEXT NOT NULL,
     origin_jti TEXT NOT NULL,
     auth_time INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );`,
];

/** Cognito user pools, app clients, users and refresh tokens in SQLite. */
export class CognitoMetadata {
  constructor(private readonly db: StateDatabase) {
    migrate(db, 'cognito', MIGRATIONS);
  }

  insertPool(pool: StoredUserPool): void {
    this.db
      .prepare('INSERT INTO cognito_pools (id, name, settings, keys, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        pool.id,
        pool.name,
        JSON.stringify(pool.settings),
        JSON.stringify(pool.keys),
        pool.createdAt,
        pool.updatedAt,
      );
  }

  getPool(id: string): StoredUserPool | undefined {
    const row = this.db.prepare('SELECT * FROM cognito_pools WHERE id = ?').get(id) as PoolRow | undefined;
    return row && poolFromRow(row);
  }

  /** Pools ordered by id, after `after`. */
  listPools(after: string, limit: number): StoredUserPool[] {
    const rows = this.db
      .prepare('SELECT * FROM cognito_pools WHERE id > ? ORDER BY id LIMIT ?')
      .all(after, limit) as PoolRow[];
    return rows.map(poolFromRow);
  }

  /** Deletes the pool with its clients, users and tokens. */
  deletePool(id: string): boolean {
    return this.db.prepare('DELETE FROM cognito_pools WHERE id = ?').run(id).changes === 1;
  }

  countUsers(poolId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM cognito_users WHERE pool_id = ?').get(poolId) as { n: number })
      .n;
  }

  insertClient(client: StoredAppClient): void {
    this.db
      .prepare('INSERT INTO cognito_clients (id, pool_id, settings) VALUES (?, ?, ?)')
      .run(client.id, client.poolId, JSON.stringify(client.settings));
  }

  getClient(id: string): StoredAppClient | undefined {
    const row = this.db.prepare('SELECT * FROM cognito_clients WHERE id = ?').get(id) as
      { id: string; pool_id: string; settings: string } | undefined;
    return row && { id: row.id, poolId: row.pool_id, settings: JSON.parse(row.settings) as Record<string, unknown> };
  }

  listClients(poolId: string, after: string, limit: number): StoredAppClient[] {
    const rows = this.db
      .prepare('SELECT * FROM cognito_clients WHERE pool_id = ? AND id > ? ORDER BY id LIMIT ?')
      .all(poolId, after, limit) as Array<{ id: string; pool_id: string; settings: string }>;
    return rows.map((row) => ({
      id: row.id,
      poolId: row.pool_id,
      settings: JSON.parse(row.settings) as Record<string, unknown>,
    }));
  }

  deleteClient(id: string): boolean {
    return this.db.prepare('DELETE FROM cognito_clients WHERE id = ?').run(id).changes === 1;
  }

  /** False when the username (in its lookup form) is taken in the pool. */
  insertUser(user: StoredUser, usernameKey: string, emailKey: string | undefined): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO cognito_users (pool_id, username_key, username, email_key, sub, attributes, password_hash, status,
           enabled, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(pool_id, username_key) DO NOTHING`,
      )
      .run(
        user.poolId,
        usernameKey,
        user.username,
        emailKey ?? null,
        user.sub,
        JSON.stringify(user.attributes),
        user.passwordHash ?? null,
        user.status,
        user.enabled ? 1 : 0,
        user.createdAt,
        user.updatedAt,
      );
    return result.changes === 1;
  }

  /** A user by the lookup form of its username, or of its email where the pool signs in with email. */
  findUser(poolId: string, usernameKey: string, emailKey?: string): StoredUser | undefined {
    const row = this.db
      .prepare('SELECT * FROM cognito_users WHERE pool_id = ? AND username_key = ?')
      .get(poolId, usernameKey) as UserRow | undefined;
    if (row) return userFromRow(row);
    return emailKey === undefined ? undefined : this.userByEmail(poolId, emailKey);
  }

  /** The first user of the pool with this email (lower-cased), on pools that sign in with email. */
  userByEmail(poolId: string, emailKey: string): StoredUser | undefined {
    const row = this.db
      .prepare('SELECT * FROM cognito_users WHERE pool_id = ? AND email_key = ? ORDER BY created_at LIMIT 1')
      .get(poolId, emailKey) as UserRow | undefined;
    return row && userFromRow(row);
  }

  userBySub(poolId: string, sub: string): StoredUser | undefined {
    const row = this.db.prepare('SELECT * FROM cognito_users WHERE pool_id = ? AND sub = ?').get(poolId, sub) as
      UserRow | undefined;
    return row && userFromRow(row);
  }

  /** Users in creation order, after the row `afterRowid`; each with its rowid for the next page. */
  listUsers(poolId: string, afterRowid: number, limit: number): Array<{ rowid: number; user: StoredUser }> {
    const rows = this.db
      .prepare('SELECT rowid, * FROM cognito_users WHERE pool_id = ? AND rowid > ? ORDER BY rowid LIMIT ?')
      .all(poolId, afterRowid, limit) as Array<UserRow & { rowid: number }>;
    return rows.map((row) => ({ rowid: row.rowid, user: userFromRow(row) }));
  }

  /** Sets the password hash and status of a user. */
  setPassword(poolId: string, sub: string, passwordHash: string, status: string, at: number): void {
    this.db
      .prepare('UPDATE cognito_users SET password_hash = ?, status = ?, updated_at = ? WHERE pool_id = ? AND sub = ?')
      .run(passwordHash, status, at, poolId, sub);
  }

  setAttributes(poolId: string, sub: string, attributes: Record<string, string>, at: number): void {
    this.db
      .prepare('UPDATE cognito_users SET attributes = ?, updated_at = ? WHERE pool_id = ? AND sub = ?')
      .run(JSON.stringify(attributes), at, poolId, sub);
  }

  /** Deletes the user and the refresh tokens issued to it. */
  deleteUser(poolId: string, sub: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM cognito_refresh_tokens WHERE pool_id = ? AND sub = ?').run(poolId, sub);
      return this.db.prepare('DELETE FROM cognito_users WHERE pool_id = ? AND sub = ?').run(poolId, sub).changes === 1;
    })();
  }

  insertRefreshToken(tokenHash: string, token: StoredRefreshToken): void {
    this.db
      .prepare(
        `INSERT INTO cognito_refresh_tokens (token_hash, pool_id, client_id, sub, origin_jti, auth_time, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(tokenHash, token.poolId, token.clientId, token.sub, token.originJti, token.authTime, token.expiresAt);
  }

  getRefreshToken(tokenHash: string): StoredRefreshToken | undefined {
    const row = this.db.prepare('SELECT * FROM cognito_refresh_tokens WHERE token_hash = ?').get(tokenHash) as
      | { pool_id: string; client_id: string; sub: string; origin_jti: string; auth_time: number; expires_at: number }
      | undefined;
    return (
      row && {
        poolId: row.pool_id,
        clientId: row.client_id,
        sub: row.sub,
        originJti: row.origin_jti,
        authTime: row.auth_time,
        expiresAt: row.expires_at,
      }
    );
  }
}

function poolFromRow(row: PoolRow): StoredUserPool {
  return {
    id: row.id,
    name: row.name,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    keys: JSON.parse(row.keys) as StoredUserPool['keys'],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function userFromRow(row: UserRow): StoredUser {
  return {
    poolId: row.pool_id,
    username: row.username,
    sub: row.sub,
    attributes: JSON.parse(row.attributes) as Record<string, string>,
    passwordHash: row.password_hash ?? undefined,
    status: row.status,
    enabled: row.enabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
