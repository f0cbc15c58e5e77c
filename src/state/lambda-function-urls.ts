import type { Statement } from 'better-sqlite3';
import { migrate, type StateDatabase, statementCache } from './database.ts';

/** A function URL's configuration (CreateFunctionUrlConfig); `cors` is the wire `Cors` object as given. */
export interface StoredFunctionUrl {
  functionName: string;
  /** `$LATEST` or an alias name. */
  qualifier: string;
  /** The URL's id: its host's first label. */
  urlId: string;
  authType: 'NONE' | 'AWS_IAM';
  cors?: Record<string, unknown>;
  invokeMode: 'BUFFERED' | 'RESPONSE_STREAM';
  creationTime: string;
  lastModifiedTime: string;
}

interface UrlRow {
  function_name: string;
  qualifier: string;
  url_id: string;
  auth_type: string;
  cors: string | null;
  invoke_mode: string;
  creation_time: string;
  last_modified_time: string;
}

/**
 * Its own migration component, so that it never competes with lambda-metadata's numbering. Needs lambda-metadata's
 * tables (LambdaMetadata is opened first): a URL goes with its function, and (unconfirmed on AWS) with its alias.
 */
const MIGRATIONS = [
  `CREATE TABLE lambda_function_urls (
     function_name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
     qualifier TEXT NOT NULL,
     url_id TEXT NOT NULL UNIQUE,
     auth_type TEXT NOT NULL,
     cors TEXT,
     invoke_mode TEXT NOT NULL,
     creation_time TEXT NOT NULL,
     last_modified_time TEXT NOT NULL,
     PRIMARY KEY (function_name, qualifier)
   );
   CREATE TRIGGER lambda_function_urls_alias_deleted AFTER DELETE ON lambda_aliases BEGIN
     DELETE FROM lambda_function_urls WHERE function_name = old.function_name AND qualifier = old.name;
   END;`,
];

/** Lambda function URL configurations in SQLite, by function and qualifier, and by URL id (the data plane). */
export class LambdaFunctionUrls {
  private readonly sql: (text: string) => Statement;

  constructor(private readonly db: StateDatabase) {
    this.sql = statementCache(db);
    migrate(db, 'lambda-function-urls', MIGRATIONS);
  }

  get(functionName: string, qualifier: string): StoredFunctionUrl | undefined {
    const row = this.sql('SELECT * FROM lambda_function_urls WHERE function_name = ? AND qualifier = ?').get(
      functionName,
      qualifier,
    ) as UrlRow | undefined;
    return row && fromRow(row);
  }

  byUrlId(urlId: string): StoredFunctionUrl | undefined {
    const row = this.sql('SELECT * FROM lambda_function_urls WHERE url_id = ?').get(urlId) as UrlRow | undefined;
    return row && fromRow(row);
  }

  /** A function's URL configurations by qualifier, starting after `after`. */
  list(functionName: string, after: string, limit: number): StoredFunctionUrl[] {
    const rows = this.sql(
      'SELECT * FROM lambda_function_urls WHERE function_name = ? AND qualifier > ? ORDER BY qualifier LIMIT ?',
    ).all(functionName, after, limit) as UrlRow[];
    return rows.map(fromRow);
  }

  /** Inserts a new configuration; false when the function's qualifier already has one. */
  insert(url: StoredFunctionUrl): boolean {
    return (
      this.sql(
        `INSERT INTO lambda_function_urls
           (function_name, qualifier, url_id, auth_type, cors, invoke_mode, creation_time, last_modified_time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(
        url.functionName,
        url.qualifier,
        url.urlId,
        url.authType,
        url.cors === undefined ? null : JSON.stringify(url.cors),
        url.invokeMode,
        url.creationTime,
        url.lastModifiedTime,
      ).changes === 1
    );
  }

  /** Replaces the settings of an existing configuration; false when there is none. */
  update(url: StoredFunctionUrl): boolean {
    return (
      this.sql(
        `UPDATE lambda_function_urls SET auth_type = ?, cors = ?, invoke_mode = ?, last_modified_time = ?
         WHERE function_name = ? AND qualifier = ?`,
      ).run(
        url.authType,
        url.cors === undefined ? null : JSON.stringify(url.cors),
        url.invokeMode,
        url.lastModifiedTime,
        url.functionName,
        url.qualifier,
      ).changes === 1
    );
  }

  delete(functionName: string, qualifier: string): boolean {
    return (
      this.sql('DELETE FROM lambda_function_urls WHERE function_name = ? AND qualifier = ?').run(
        functionName,
        qualifier,
      ).changes === 1
    );
  }
}

function fromRow(row: UrlRow): StoredFunctionUrl {
  const url: StoredFunctionUrl = {
    functionName: row.function_name,
    qualifier: row.qualifier,
    urlId: row.url_id,
    authType: row.auth_type as StoredFunctionUrl['authType'],
    invokeMode: row.invoke_mode as StoredFunctionUrl['invokeMode'],
    creationTime: row.creation_time,
    lastModifiedTime: row.last_modified_time,
  };
  if (row.cors !== null) url.cors = JSON.parse(row.cors) as Record<string, unknown>;
  return url;
}
