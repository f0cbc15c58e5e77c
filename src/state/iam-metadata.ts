import { migrate, type StateDatabase } from './database.ts';

// A type (not an interface) so that it fits the XML writer's index-signature type.
export type StoredTag = { Key: string; Value: string };

export interface StoredRole {
  name: string;
  id: string;
  path: string;
  /** The trust policy as the caller sent it. */
  assumeRolePolicy: string;
  description?: string;
  maxSessionDuration: number;
  createdAt: string;
  tags: StoredTag[];
}

export interface StoredPolicy {
  name: string;
  id: string;
  path: string;
  arn: string;
  description?: string;
  document: string;
  createdAt: string;
  updatedAt: string;
  tags: StoredTag[];
}

export interface StoredInlinePolicy {
  name: string;
  document: string;
}

interface RoleRow {
  name: string;
  id: string;
  path: string;
  assume_role_policy: string;
  description: string | null;
  max_session_duration: number;
  created_at: string;
  tags: string;
}

interface PolicyRow {
  name: string;
  id: string;
  path: string;
  arn: string;
  description: string | null;
  document: string;
  created_at: string;
  updated_at: string;
  tags: string;
}

// Names are unique without regard to case (`name_key` is the lower-cased name); the stored name keeps its case.
const MIGRATIONS = [
  `CREATE TABLE iam_roles (
     name_key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     id TEXT NOT NULL UNIQUE,
     path TEXT NOT NULL,
     assume_role_policy TEXT NOT NULL,
     description TEXT,
     max_session_duration INTEGER NOT NULL,
     created_at TEXT NOT NULL,
     tags TEXT NOT NULL
   );
   CREATE TABLE iam_role_inline_policies (
     role_key TEXT NOT NULL REFERENCES iam_roles(name_key) ON DELETE CASCADE,
     name_key TEXT NOT NULL,
     name TEXT NOT NULL,
     document TEXT NOT NULL,
     PRIMARY KEY (role_key, name_key)
   );
   CREATE TABLE iam_role_attachments (
     role_key TEXT NOT NULL REFERENCES iam_roles(name_key) ON DELETE CASCADE,
     policy_arn TEXT NOT NULL,
     position INTEGER NOT NULL,
     PRIMARY KEY (role_key, policy_arn)
   );
   CREATE TABLE iam_policies (
     name_key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     id TEXT NOT NULL UNIQUE,
     path TEXT NOT NULL,
     arn TEXT NOT NULL UNIQUE,
     description TEXT,
     document TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     tags TEXT NOT NULL
   );`,
];

const key = (name: string): string => name.toLowerCase();

/** IAM roles, their inline policies and attachments, and customer managed policies, in SQLite. */
export class IamMetadata {
  constructor(private readonly db: StateDatabase) {
    migrate(db, 'iam', MIGRATIONS);
  }

  getRole(name: string): StoredRole | undefined {
    const row = this.db.prepare('SELECT * FROM iam_roles WHERE name_key = ?').get(key(name)) as RoleRow | undefined;
    return row && roleFromRow(row);
  }

  /** Roles ordered by name (case-insensitively), after the name key `after`. */
  listRoles(after: string, limit: number, pathPrefix = '/'): StoredRole[] {
    const rows = this.db
      .prepare('SELECT * FROM iam_roles WHERE name_key > ? AND substr(path, 1, ?) = ? ORDER BY name_key LIMIT ?')
      .all(after, pathPrefix.length, pathPrefix, limit) as RoleRow[];
    return rows.map(roleFromRow);
  }

  /** False when a role of that name (in any case) exists. */
  insertRole(role: StoredRole): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO iam_roles
           (name_key, name, id, path, assume_role_policy, description, max_session_duration, created_at, tags)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name_key) DO NOTHING`,
      )
      .run(
        key(role.name),
        role.name,
        role.id,
        role.path,
        role.assumeRolePolicy,
        role.description ?? null,
        role.maxSessionDuration,
        role.createdAt,
        JSON.stringify(role.tags),
      );
    return result.changes === 1;
  }

  setAssumeRolePolicy(roleName: string, document: string): boolean {
    return (
      this.db.prepare('UPDATE iam_roles SET assume_role_policy = ? WHERE name_key = ?').run(document, key(roleName))
        .changes === 1
    );
  }

  /** Deletes the role with its inline policies; false when it does not exist. */
  deleteRole(name: string): boolean {
    return this.db.prepare('DELETE FROM iam_roles WHERE name_key = ?').run(key(name)).changes === 1;
  }

  attachedPolicyArns(roleName: string): string[] {
    const rows = this.db
      .prepare('SELECT policy_arn FROM iam_role_attachments WHERE role_key = ? ORDER BY position')
      .all(key(roleName)) as Array<{ policy_arn: string }>;
    return rows.map((r) => r.policy_arn);
  }

  /** Attaches (a no-op when already attached, as IAM's AttachRolePolicy is). */
  attach(roleName: string, policyArn: string): void {
    this.db
      .prepare(
        `INSERT INTO iam_role_attachments (role_key, policy_arn, position)
         VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM iam_role_attachments WHERE role_key = ?))
         ON CONFLICT(role_key, policy_arn) DO NOTHING`,
      )
      .run(key(roleName), policyArn, key(roleName));
  }

  detach(roleName: string, policyArn: string): boolean {
    return (
      this.db
        .prepare('DELETE FROM iam_role_attachments WHERE role_key = ? AND policy_arn = ?')
        .run(key(roleName), policyArn).changes === 1
    );
  }

  /** How many roles a managed policy is attached to. */
  attachmentCount(policyArn: string): number {
    return (
      this.db.prepare('SELECT COUNT(*) AS n FROM iam_role_attachments WHERE policy_arn = ?').get(policyArn) as {
        n: number;
      }
    ).n;
  }

  inlinePolicies(roleName: string): StoredInlinePolicy[] {
    return this.db
      .prepare('SELECT name, document FROM iam_role_inline_policies WHERE role_key = ? ORDER BY name_key')
      .all(key(roleName)) as StoredInlinePolicy[];
  }

  getInlinePolicy(roleName: string, policyName: string): StoredInlinePolicy | undefined {
    return this.db
      .prepare('SELECT name, document FROM iam_role_inline_policies WHERE role_key = ? AND name_key = ?')
      .get(key(roleName), key(policyName)) as StoredInlinePolicy | undefined;
  }

  /** Creates or replaces an inline policy of an existing role. */
  putInlinePolicy(roleName: string, policy: StoredInlinePolicy): void {
    this.db
      .prepare(
        `INSERT INTO iam_role_inline_policies (role_key, name_key, name, document) VALUES (?, ?, ?, ?)
         ON CONFLICT(role_key, name_key) DO UPDATE SET name = excluded.name, document = excluded.document`,
      )
      .run(key(roleName), key(policy.name), policy.name, policy.document);
  }

  deleteInlinePolicy(roleName: string, policyName: string): boolean {
    return (
      this.db
        .prepare('DELETE FROM iam_role_inline_policies WHERE role_key = ? AND name_key = ?')
        .run(key(roleName), key(policyName)).changes === 1
    );
  }

  getPolicy(arn: string): StoredPolicy | undefined {
    const row = this.db.prepare('SELECT * FROM iam_policies WHERE arn = ?').get(arn) as PolicyRow | undefined;
    return row && policyFromRow(row);
  }

  /** Customer managed policies ordered by name (case-insensitively), after the name key `after`. */
  listPolicies(after: string, limit: number, options: { pathPrefix: string; onlyAttached: boolean }): StoredPolicy[] {
    const attached = options.onlyAttached ? 'AND arn IN (SELECT policy_arn FROM iam_role_attachments)' : '';
    const rows = this.db
      .prepare(
        `SELECT * FROM iam_policies WHERE name_key > ? AND substr(path, 1, ?) = ? ${attached}
         ORDER BY name_key LIMIT ?`,
      )
      .all(after, options.pathPrefix.length, options.pathPrefix, limit) as PolicyRow[];
    return rows.map(policyFromRow);
  }

  /** False when a policy of that name (in any case) exists. */
  insertPolicy(policy: StoredPolicy): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO iam_policies (name_key, name, id, path, arn, description, document, created_at, updated_at, tags)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(
        key(policy.name),
        policy.name,
        policy.id,
        policy.path,
        policy.arn,
        policy.description ?? null,
        policy.document,
        policy.createdAt,
        policy.updatedAt,
        JSON.stringify(policy.tags),
      );
    return result.changes === 1;
  }

  deletePolicy(arn: string): boolean {
    return this.db.prepare('DELETE FROM iam_policies WHERE arn = ?').run(arn).changes === 1;
  }
}

/** The key the list functions order by and resume after. */
export function iamNameKey(name: string): string {
  return key(name);
}

function roleFromRow(row: RoleRow): StoredRole {
  return {
    name: row.name,
    id: row.id,
    path: row.path,
    assumeRolePolicy: row.assume_role_policy,
    description: row.description ?? undefined,
    maxSessionDuration: row.max_session_duration,
    createdAt: row.created_at,
    tags: JSON.parse(row.tags) as StoredTag[],
  };
}

function policyFromRow(row: PolicyRow): StoredPolicy {
  return {
    name: row.name,
    id: row.id,
    path: row.path,
    arn: row.arn,
    description: row.description ?? undefined,
    document: row.document,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    tags: JSON.parse(row.tags) as StoredTag[],
  };
}
