import { migrate, type StateDatabase } from './database.ts';

/** The stored part of a function's configuration (what CreateFunction / UpdateFunctionConfiguration set). */
export interface StoredFunctionSettings {
  runtime: string;
  role: string;
  handler: string;
  description: string;
  timeout: number;
  memorySize: number;
  environment: Record<string, string>;
  architectures: string[];
  ephemeralStorage: number;
  tags: Record<string, string>;
}

export interface StoredFunction {
  name: string;
  settings: StoredFunctionSettings;
  codeBlob: string;
  /** Base64 SHA-256 of the zip, as Lambda reports it. */
  codeSha256: string;
  codeSize: number;
  revisionId: string;
  lastModified: string;
}

export interface StoredStatement {
  sid: string;
  /** The IAM statement, as JSON text. */
  statement: string;
}

interface FunctionRow {
  name: string;
  settings: string;
  code_blob: string;
  code_sha256: string;
  code_size: number;
  revision_id: string;
  last_modified: string;
}

const MIGRATIONS = [
  `CREATE TABLE lambda_functions (
     name TEXT PRIMARY KEY,
     settings TEXT NOT NULL,
     code_blob TEXT NOT NULL,
     code_sha256 TEXT NOT NULL,
     code_size INTEGER NOT NULL,
     revision_id TEXT NOT NULL,
     last_modified TEXT NOT NULL
   );
   CREATE TABLE lambda_policy_statements (
     function_name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
     sid TEXT NOT NULL,
     statement TEXT NOT NULL,
     position INTEGER NOT NULL,
     PRIMARY KEY (function_name, sid)
   );`,
];

/** Lambda functions and their resource policies in SQLite. */
export class LambdaMetadata {
  constructor(private readonly db: StateDatabase) {
    migrate(db, 'lambda', MIGRATIONS);
  }

  get(name: string): StoredFunction | undefined {
    const row = this.db.prepare('SELECT * FROM lambda_functions WHERE name = ?').get(name) as FunctionRow | undefined;
    return row && fromRow(row);
  }

  /** Functions ordered by name, starting after `marker`. */
  list(after: string, limit: number): StoredFunction[] {
    const rows = this.db.prepare('SELECT * FROM lambda_functions WHERE name > ? ORDER BY name LIMIT ?').all(after, limit) as FunctionRow[];
    return rows.map(fromRow);
  }

  /** Inserts a new function; false when the name is taken. */
  insert(fn: StoredFunction): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO lambda_functions (name, settings, code_blob, code_sha256, code_size, revision_id, last_modified)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING`,
      )
      .run(fn.name, JSON.stringify(fn.settings), fn.codeBlob, fn.codeSha256, fn.codeSize, fn.revisionId, fn.lastModified);
    return result.changes === 1;
  }

  /** Replaces the stored function when its revision is still `expectedRevision`; false otherwise. */
  update(fn: StoredFunction, expectedRevision: string): boolean {
    const result = this.db
      .prepare(
        `UPDATE lambda_functions SET settings = ?, code_blob = ?, code_sha256 = ?, code_size = ?, revision_id = ?, last_modified = ?
         WHERE name = ? AND revision_id = ?`,
      )
      .run(JSON.stringify(fn.settings), fn.codeBlob, fn.codeSha256, fn.codeSize, fn.revisionId, fn.lastModified, fn.name, expectedRevision);
    return result.changes === 1;
  }

  delete(name: string): boolean {
    return this.db.prepare('DELETE FROM lambda_functions WHERE name = ?').run(name).changes === 1;
  }

  /** Every code blob still referenced (to tell which unpacked code directories are garbage). */
  codeBlobs(): Set<string> {
    const rows = this.db.prepare('SELECT code_blob FROM lambda_functions').all() as Array<{ code_blob: string }>;
    return new Set(rows.map((r) => r.code_blob));
  }

  statements(name: string): StoredStatement[] {
    return this.db
      .prepare('SELECT sid, statement FROM lambda_policy_statements WHERE function_name = ? ORDER BY position')
      .all(name) as StoredStatement[];
  }

  /** Adds a statement and sets the function's new revision; false when the sid exists. */
  addStatement(name: string, sid: string, statement: string, newRevision: string): boolean {
    return this.db.transaction(() => {
      const inserted = this.db
        .prepare(
          `INSERT INTO lambda_policy_statements (function_name, sid, statement, position)
           VALUES (?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM lambda_policy_statements WHERE function_name = ?))
           ON CONFLICT(function_name, sid) DO NOTHING`,
        )
        .run(name, sid, statement, name);
      if (inserted.changes === 0) return false;
      this.db.prepare('UPDATE lambda_functions SET revision_id = ? WHERE name = ?').run(newRevision, name);
      return true;
    })();
  }

  /** Removes a statement and sets the function's new revision; false when there was none. */
  removeStatement(name: string, sid: string, newRevision: string): boolean {
    return this.db.transaction(() => {
      const removed = this.db.prepare('DELETE FROM lambda_policy_statements WHERE function_name = ? AND sid = ?').run(name, sid);
      if (removed.changes === 0) return false;
      this.db.prepare('UPDATE lambda_functions SET revision_id = ? WHERE name = ?').run(newRevision, name);
      return true;
    })();
  }
}

function fromRow(row: FunctionRow): StoredFunction {
  return {
    name: row.name,
    settings: JSON.parse(row.settings) as StoredFunctionSettings,
    codeBlob: row.code_blob,
    codeSha256: row.code_sha256,
    codeSize: row.code_size,
    revisionId: row.revision_id,
    lastModified: row.last_modified,
  };
}
