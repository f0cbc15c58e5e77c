import type { Statement } from 'better-sqlite3';
import { migrate, type StateDatabase, statementCache } from './database.ts';
import type { FunctionLayer } from './lambda-layers.ts';

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
  /** The function's layers, in order (absent: none). */
  layers?: FunctionLayer[];
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
  /** PutFunctionConcurrency's reserved concurrency; absent when none is reserved. */
  reservedConcurrency?: number;
  /** A published version's number; absent for `$LATEST`. */
  version?: string;
}

/** An alias of a function: a name for a version, with an optional second version taking a share of invocations. */
export interface StoredAlias {
  functionName: string;
  name: string;
  functionVersion: string;
  description: string;
  /** RoutingConfig's AdditionalVersionWeights: version -> share (0 to 1). */
  weights: Record<string, number>;
  revisionId: string;
}

/** PutFunctionEventInvokeConfig's settings. */
export interface StoredEventInvokeConfig {
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  destinationConfig?: Record<string, unknown>;
  /** Seconds since the epoch. */
  lastModified: number;
}

interface VersionRow extends Omit<FunctionRow, 'name' | 'reserved_concurrency'> {
  function_name: string;
  version: number;
}

interface AliasRow {
  function_name: string;
  name: string;
  version: string;
  description: string;
  routing: string;
  revision_id: string;
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
  reserved_concurrency: number | null;
}

export const LAMBDA_MIGRATIONS = [
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
  `ALTER TABLE lambda_functions ADD COLUMN reserved_concurrency INTEGER;`,
  `ALTER TABLE lambda_functions ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE lambda_versions (
     function_name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
     version INTEGER NOT NULL,
     settings TEXT NOT NULL,
     code_blob TEXT NOT NULL,
     code_sha256 TEXT NOT NULL,
     code_size INTEGER NOT NULL,
     revision_id TEXT NOT NULL,
     last_modified TEXT NOT NULL,
     PRIMARY KEY (function_name, version)
   );
   CREATE TABLE lambda_aliases (
     function_name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
     name TEXT NOT NULL,
     version TEXT NOT NULL,
     description TEXT NOT NULL,
     routing TEXT NOT NULL,
     revision_id TEXT NOT NULL,
     PRIMARY KEY (function_name, name)
   );`,
  `CREATE TABLE lambda_event_invoke_configs (
     function_name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
     qualifier TEXT NOT NULL,
     config TEXT NOT NULL,
     PRIMARY KEY (function_name, qualifier)
   );`,
  // One policy per qualifier, as on AWS: a statement id is unique within the policy of the function ('' for the
  // unqualified function and $LATEST), of a version or of an alias. The qualifier is read from each statement's
  // Resource (`arn:aws:lambda:R:A:function:NAME[:QUALIFIER]`).
  `CREATE TABLE lambda_policy_statements_by_qualifier (
     function_name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
     qualifier TEXT NOT NULL,
     sid TEXT NOT NULL,
     statement TEXT NOT NULL,
     position INTEGER NOT NULL,
     PRIMARY KEY (function_name, qualifier, sid)
   );
   INSERT INTO lambda_policy_statements_by_qualifier (function_name, qualifier, sid, statement, position)
     SELECT function_name,
            COALESCE(substr(resource, NULLIF(instr(resource, ':function:' || function_name || ':'), 0)
                                        + length(':function:' || function_name || ':')), ''),
            sid, statement, position
       FROM (SELECT *, CASE WHEN json_valid(statement) THEN json_extract(statement, '$.Resource') END AS resource
               FROM lambda_policy_statements);
   DROP TABLE lambda_policy_statements;
   ALTER TABLE lambda_policy_statements_by_qualifier RENAME TO lambda_policy_statements;`,
];

/**
 * Lambda functions and their resource policies in SQLite. Functions and policies read on the invoke path are
 * cached in memory (callers must not mutate what they get); every write through this class clears the cache.
 */
export class LambdaMetadata {
  private readonly sql: (text: string) => Statement;
  private readonly functions = new Map<string, StoredFunction | null>();
  private readonly policies = new Map<string, StoredStatement[]>();
  private readonly aliasCache = new Map<string, StoredAlias | null>();
  private readonly eventConfigs = new Map<string, StoredEventInvokeConfig | null>();

  constructor(private readonly db: StateDatabase) {
    this.sql = statementCache(db);
    migrate(db, 'lambda', LAMBDA_MIGRATIONS);
  }

  private changed(): void {
    this.functions.clear();
    this.policies.clear();
    this.aliasCache.clear();
    this.eventConfigs.clear();
  }

  get(name: string): StoredFunction | undefined {
    return cachedRead(this.functions, name, () => {
      const row = this.sql('SELECT * FROM lambda_functions WHERE name = ?').get(name) as FunctionRow | undefined;
      return row ? fromRow(row) : null;
    });
  }

  /** Functions ordered by name, starting after `marker`. */
  list(after: string, limit: number): StoredFunction[] {
    const rows = this.sql('SELECT * FROM lambda_functions WHERE name > ? ORDER BY name LIMIT ?').all(
      after,
      limit,
    ) as FunctionRow[];
    return rows.map(fromRow);
  }

  /** Inserts a new function; false when the name is taken. */
  insert(fn: StoredFunction): boolean {
    this.changed();
    const result = this.sql(
      `INSERT INTO lambda_functions (name, settings, code_blob, code_sha256, code_size, revision_id, last_modified)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING`,
    ).run(
      fn.name,
      JSON.stringify(fn.settings),
      fn.codeBlob,
      fn.codeSha256,
      fn.codeSize,
      fn.revisionId,
      fn.lastModified,
    );
    return result.changes === 1;
  }

  /** Replaces the stored function when its revision is still `expectedRevision`; false otherwise. */
  update(fn: StoredFunction, expectedRevision: string): boolean {
    this.changed();
    const result = this.sql(
      `UPDATE lambda_functions SET settings = ?, code_blob = ?, code_sha256 = ?, code_size = ?, revision_id = ?, last_modified = ?
         WHERE name = ? AND revision_id = ?`,
    ).run(
      JSON.stringify(fn.settings),
      fn.codeBlob,
      fn.codeSha256,
      fn.codeSize,
      fn.revisionId,
      fn.lastModified,
      fn.name,
      expectedRevision,
    );
    return result.changes === 1;
  }

  /** Replaces a function's tags; its revision stays. False when the function is gone. */
  setTags(name: string, tags: Record<string, string>): boolean {
    const fn = this.get(name);
    if (!fn) return false;
    this.changed();
    const settings = JSON.stringify({ ...fn.settings, tags });
    return this.sql('UPDATE lambda_functions SET settings = ? WHERE name = ?').run(settings, name).changes === 1;
  }

  /** Sets (a number) or removes (null) a function's reserved concurrency. False when the function is gone. */
  setReservedConcurrency(name: string, reserved: number | null): boolean {
    this.changed();
    return (
      this.sql('UPDATE lambda_functions SET reserved_concurrency = ? WHERE name = ?').run(reserved, name).changes === 1
    );
  }

  /** The sum of the functions' reserved concurrency, but `except`'s. */
  reservedConcurrencyTotal(except = ''): number {
    const row = this.sql(
      'SELECT COALESCE(SUM(reserved_concurrency), 0) AS total FROM lambda_functions WHERE name != ?',
    ).get(except) as { total: number };
    return row.total;
  }

  /** How many functions there are and the size of their code. */
  usage(): { functionCount: number; totalCodeSize: number } {
    const row = this.sql('SELECT COUNT(*) AS n, COALESCE(SUM(code_size), 0) AS size FROM lambda_functions').get() as {
      n: number;
      size: number;
    };
    return { functionCount: row.n, totalCodeSize: row.size };
  }

  delete(name: string): boolean {
    this.changed();
    return this.sql('DELETE FROM lambda_functions WHERE name = ?').run(name).changes === 1;
  }

  /** A published version of a function (cached like functions). */
  version(name: string, version: string): StoredFunction | undefined {
    const key = `${name}:${version}`;
    return cachedRead(this.functions, key, () => {
      const row = this.sql('SELECT * FROM lambda_versions WHERE function_name = ? AND version = ?').get(
        name,
        Number(version),
      ) as VersionRow | undefined;
      return row ? fromVersionRow(row) : null;
    });
  }

  /** A function's published versions, oldest first. */
  versions(name: string): StoredFunction[] {
    const rows = this.sql('SELECT * FROM lambda_versions WHERE function_name = ? ORDER BY version').all(
      name,
    ) as VersionRow[];
    return rows.map(fromVersionRow);
  }

  /** Publishes `fn` ($LATEST as it is now) as the function's next version number; returns the version. */
  publish(fn: StoredFunction): StoredFunction {
    this.changed();
    return this.db.transaction(() => {
      this.sql('UPDATE lambda_functions SET last_version = last_version + 1 WHERE name = ?').run(fn.name);
      const { last_version: version } = this.sql('SELECT last_version FROM lambda_functions WHERE name = ?').get(
        fn.name,
      ) as {
        last_version: number;
      };
      this.sql(
        `INSERT INTO lambda_versions (function_name, version, settings, code_blob, code_sha256, code_size, revision_id, last_modified)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        fn.name,
        version,
        JSON.stringify(fn.settings),
        fn.codeBlob,
        fn.codeSha256,
        fn.codeSize,
        fn.revisionId,
        fn.lastModified,
      );
      const { reservedConcurrency: _reserved, ...published } = fn;
      return { ...published, version: String(version) };
    })();
  }

  deleteVersion(name: string, version: string): boolean {
    this.changed();
    return (
      this.sql('DELETE FROM lambda_versions WHERE function_name = ? AND version = ?').run(name, Number(version))
        .changes === 1
    );
  }

  /** An alias (cached: Invoke reads it). */
  alias(functionName: string, name: string): StoredAlias | undefined {
    const key = `${functionName}:${name}`;
    return cachedRead(this.aliasCache, key, () => {
      const row = this.sql('SELECT * FROM lambda_aliases WHERE function_name = ? AND name = ?').get(
        functionName,
        name,
      ) as AliasRow | undefined;
      return row ? fromAliasRow(row) : null;
    });
  }

  aliases(functionName: string): StoredAlias[] {
    const rows = this.sql('SELECT * FROM lambda_aliases WHERE function_name = ? ORDER BY name').all(
      functionName,
    ) as AliasRow[];
    return rows.map(fromAliasRow);
  }

  /** Inserts or replaces an alias; insert only (false when it exists) unless `expectedRevision` is given. */
  putAlias(alias: StoredAlias, expectedRevision?: string): boolean {
    this.changed();
    const values = [alias.functionVersion, alias.description, JSON.stringify(alias.weights), alias.revisionId] as const;
    if (expectedRevision === undefined) {
      return (
        this.sql(
          `INSERT INTO lambda_aliases (function_name, name, version, description, routing, revision_id) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(function_name, name) DO NOTHING`,
        ).run(alias.functionName, alias.name, ...values).changes === 1
      );
    }
    return (
      this.sql(
        `UPDATE lambda_aliases SET version = ?, description = ?, routing = ?, revision_id = ?
         WHERE function_name = ? AND name = ? AND revision_id = ?`,
      ).run(...values, alias.functionName, alias.name, expectedRevision).changes === 1
    );
  }

  deleteAlias(functionName: string, name: string): boolean {
    this.changed();
    return (
      this.sql('DELETE FROM lambda_aliases WHERE function_name = ? AND name = ?').run(functionName, name).changes === 1
    );
  }

  /** The asynchronous invocation settings of a function's qualifier (`$LATEST`, a version, an alias); cached. */
  eventInvokeConfig(name: string, qualifier: string): StoredEventInvokeConfig | undefined {
    const key = `${name}:${qualifier}`;
    let config = this.eventConfigs.get(key);
    if (config === undefined) {
      const row = this.sql(
        'SELECT config FROM lambda_event_invoke_configs WHERE function_name = ? AND qualifier = ?',
      ).get(name, qualifier) as { config: string } | undefined;
      config = row ? (JSON.parse(row.config) as StoredEventInvokeConfig) : null;
      if (this.eventConfigs.size >= 1000) this.eventConfigs.clear();
      this.eventConfigs.set(key, config);
    }
    return config ?? undefined;
  }

  eventInvokeConfigs(name: string): Array<{ qualifier: string; config: StoredEventInvokeConfig }> {
    const rows = this.sql(
      'SELECT qualifier, config FROM lambda_event_invoke_configs WHERE function_name = ? ORDER BY qualifier',
    ).all(name) as Array<{ qualifier: string; config: string }>;
    return rows.map((r) => ({ qualifier: r.qualifier, config: JSON.parse(r.config) as StoredEventInvokeConfig }));
  }

  putEventInvokeConfig(name: string, qualifier: string, config: StoredEventInvokeConfig): void {
    this.changed();
    this.sql(
      `INSERT INTO lambda_event_invoke_configs (function_name, qualifier, config) VALUES (?, ?, ?)
       ON CONFLICT(function_name, qualifier) DO UPDATE SET config = excluded.config`,
    ).run(name, qualifier, JSON.stringify(config));
  }

  deleteEventInvokeConfig(name: string, qualifier: string): boolean {
    this.changed();
    return (
      this.sql('DELETE FROM lambda_event_invoke_configs WHERE function_name = ? AND qualifier = ?').run(name, qualifier)
        .changes === 1
    );
  }

  /** Whether a function or a version still uses `codeBlob`. */
  blobInUse(codeBlob: string): boolean {
    return (
      this.sql(
        `SELECT 1 FROM lambda_functions WHERE code_blob = ? UNION ALL SELECT 1 FROM lambda_versions WHERE code_blob = ? LIMIT 1`,
      ).get(codeBlob, codeBlob) !== undefined
    );
  }

  /** Every code blob still referenced (to tell which unpacked code directories are garbage). */
  codeBlobs(): Set<string> {
    const rows = this.sql(
      'SELECT code_blob FROM lambda_functions UNION SELECT code_blob FROM lambda_versions',
    ).all() as Array<{
      code_blob: string;
    }>;
    return new Set(rows.map((r) => r.code_blob));
  }

  /** The policy's statements; the same array until the next write, so callers may cache what they derive from it. */
  statements(name: string): StoredStatement[] {
    let statements = this.policies.get(name);
    if (!statements) {
      statements = this.sql(
        'SELECT sid, statement FROM lambda_policy_statements WHERE function_name = ? ORDER BY position',
      ).all(name) as StoredStatement[];
      this.policies.set(name, statements);
    }
    return statements;
  }

  /**
   * Adds a statement to the policy of `qualifier` ('' for the function itself) and sets the function's new revision;
   * false when that policy has the sid.
   */
  addStatement(name: string, qualifier: string, sid: string, statement: string, newRevision: string): boolean {
    this.changed();
    return this.db.transaction(() => {
      const inserted = this.sql(
        `INSERT INTO lambda_policy_statements (function_name, qualifier, sid, statement, position)
           VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM lambda_policy_statements WHERE function_name = ?))
           ON CONFLICT(function_name, qualifier, sid) DO NOTHING`,
      ).run(name, qualifier, sid, statement, name);
      if (inserted.changes === 0) return false;
      this.sql('UPDATE lambda_functions SET revision_id = ? WHERE name = ?').run(newRevision, name);
      return true;
    })();
  }

  /** Removes a statement from the policy of `qualifier` and sets the function's new revision; false when there was none. */
  removeStatement(name: string, qualifier: string, sid: string, newRevision: string): boolean {
    this.changed();
    return this.db.transaction(() => {
      const removed = this.sql(
        'DELETE FROM lambda_policy_statements WHERE function_name = ? AND qualifier = ? AND sid = ?',
      ).run(name, qualifier, sid);
      if (removed.changes === 0) return false;
      this.sql('UPDATE lambda_functions SET revision_id = ? WHERE name = ?').run(newRevision, name);
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
    ...(row.reserved_concurrency !== null && { reservedConcurrency: row.reserved_concurrency }),
  };
}

function fromVersionRow(row: VersionRow): StoredFunction {
  return {
    name: row.function_name,
    settings: JSON.parse(row.settings) as StoredFunctionSettings,
    codeBlob: row.code_blob,
    codeSha256: row.code_sha256,
    codeSize: row.code_size,
    revisionId: row.revision_id,
    lastModified: row.last_modified,
    version: String(row.version),
  };
}

function fromAliasRow(row: AliasRow): StoredAlias {
  return {
    functionName: row.function_name,
    name: row.name,
    functionVersion: row.version,
    description: row.description,
    weights: JSON.parse(row.routing) as Record<string, number>,
    revisionId: row.revision_id,
  };
}

/**
 * A read through `cache`: `null` remembers a miss. Invoke reads these on every call; the cache is emptied when it
 * reaches 1000 entries, so names looked up in vain cannot pile up.
 */
function cachedRead<T>(cache: Map<string, T | null>, key: string, load: () => T | null): T | undefined {
  let value = cache.get(key);
  if (value === undefined) {
    value = load();
    if (cache.size >= 1000) cache.clear();
    cache.set(key, value);
  }
  return value ?? undefined;
}
