import type { Statement } from 'better-sqlite3';
import { migrate, type StateDatabase, statementCache } from './database.ts';

/** One published version of a Lambda layer (its content is a code blob, like a function's). */
export interface StoredLayerVersion {
  layerName: string;
  version: number;
  description: string;
  licenseInfo?: string;
  compatibleRuntimes: string[];
  compatibleArchitectures: string[];
  createdDate: string;
  codeBlob: string;
  /** Base64 SHA-256 of the zip. */
  codeSha256: string;
  codeSize: number;
}

/** What a function keeps of each of its layers: enough to run and describe it after the version is deleted. */
export interface FunctionLayer {
  arn: string;
  codeSize: number;
  codeBlob: string;
}

export interface StoredLayerStatement {
  sid: string;
  /** The IAM statement, as JSON text. */
  statement: string;
}

interface LayerVersionRow {
  layer_name: string;
  version: number;
  description: string;
  license_info: string | null;
  compatible_runtimes: string;
  compatible_architectures: string;
  created_date: string;
  code_blob: string;
  code_sha256: string;
  code_size: number;
}

const MIGRATIONS = [
  // lambda_layers.last_version outlives the layer's versions: a version number is never used twice.
  `CREATE TABLE lambda_layers (
     name TEXT PRIMARY KEY,
     last_version INTEGER NOT NULL
   );
   CREATE TABLE lambda_layer_versions (
     layer_name TEXT NOT NULL REFERENCES lambda_layers(name),
     version INTEGER NOT NULL,
     description TEXT NOT NULL,
     license_info TEXT,
     compatible_runtimes TEXT NOT NULL,
     compatible_architectures TEXT NOT NULL,
     created_date TEXT NOT NULL,
     code_blob TEXT NOT NULL,
     code_sha256 TEXT NOT NULL,
     code_size INTEGER NOT NULL,
     policy_revision TEXT NOT NULL,
     PRIMARY KEY (layer_name, version)
   );
   CREATE TABLE lambda_layer_statements (
     layer_name TEXT NOT NULL,
     version INTEGER NOT NULL,
     sid TEXT NOT NULL,
     statement TEXT NOT NULL,
     position INTEGER NOT NULL,
     PRIMARY KEY (layer_name, version, sid),
     FOREIGN KEY (layer_name, version) REFERENCES lambda_layer_versions(layer_name, version) ON DELETE CASCADE
   );`,
];

/** Lambda layers, their versions and the versions' permission statements, in SQLite. */
export class LambdaLayers {
  private readonly sql: (text: string) => Statement;

  constructor(private readonly db: StateDatabase) {
    this.sql = statementCache(db);
    migrate(db, 'lambda-layers', MIGRATIONS);
  }

  /** Stores `layer` as the layer's next version number (from 1, never reused); returns it with its number. */
  publish(layer: Omit<StoredLayerVersion, 'version'>, policyRevision: string): StoredLayerVersion {
    return this.db.transaction(() => {
      this.sql(
        `INSERT INTO lambda_layers (name, last_version) VALUES (?, 1)
         ON CONFLICT(name) DO UPDATE SET last_version = last_version + 1`,
      ).run(layer.layerName);
      const { last_version: version } = this.sql('SELECT last_version FROM lambda_layers WHERE name = ?').get(
        layer.layerName,
      ) as { last_version: number };
      this.sql(
        `INSERT INTO lambda_layer_versions (layer_name, version, description, license_info, compatible_runtimes,
           compatible_architectures, created_date, code_blob, code_sha256, code_size, policy_revision)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        layer.layerName,
        version,
        layer.description,
        layer.licenseInfo ?? null,
        JSON.stringify(layer.compatibleRuntimes),
        JSON.stringify(layer.compatibleArchitectures),
        layer.createdDate,
        layer.codeBlob,
        layer.codeSha256,
        layer.codeSize,
        policyRevision,
      );
      return { ...layer, version };
    })();
  }

  version(layerName: string, version: number): StoredLayerVersion | undefined {
    const row = this.sql('SELECT * FROM lambda_layer_versions WHERE layer_name = ? AND version = ?').get(
      layerName,
      version,
    ) as LayerVersionRow | undefined;
    return row && fromRow(row);
  }

  /** A layer's versions, newest first, after `beforeVersion` (exclusive) when given. */
  versions(layerName: string, beforeVersion = Number.MAX_SAFE_INTEGER): StoredLayerVersion[] {
    const rows = this.sql(
      'SELECT * FROM lambda_layer_versions WHERE layer_name = ? AND version < ? ORDER BY version DESC',
    ).all(layerName, beforeVersion) as LayerVersionRow[];
    return rows.map(fromRow);
  }

  /** The names of the layers that have versions, ordered, after `after`. */
  layerNames(after: string): string[] {
    const rows = this.sql(
      'SELECT DISTINCT layer_name FROM lambda_layer_versions WHERE layer_name > ? ORDER BY layer_name',
    ).all(after) as Array<{ layer_name: string }>;
    return rows.map((r) => r.layer_name);
  }

  /** Deletes a version (its statements with it); false when there was none. */
  deleteVersion(layerName: string, version: number): boolean {
    return (
      this.sql('DELETE FROM lambda_layer_versions WHERE layer_name = ? AND version = ?').run(layerName, version)
        .changes === 1
    );
  }

  /** The code blobs of the layer versions that exist. */
  codeBlobs(): Set<string> {
    const rows = this.sql('SELECT code_blob FROM lambda_layer_versions').all() as Array<{ code_blob: string }>;
    return new Set(rows.map((r) => r.code_blob));
  }

  /**
   * The layer blobs that functions and published versions name in their settings (`layers[].codeBlob`): a deleted
   * layer version's content stays while a function uses it.
   */
  blobsUsedByFunctions(): Set<string> {
    const rows = this.sql(
      `SELECT json_extract(layer.value, '$.codeBlob') AS blob
         FROM (SELECT settings FROM lambda_functions UNION ALL SELECT settings FROM lambda_versions) AS f,
              json_each(f.settings, '$.layers') AS layer`,
    ).all() as Array<{ blob: string | null }>;
    return new Set(rows.flatMap((r) => (r.blob === null ? [] : [r.blob])));
  }

  /** Whether a layer version or a function still uses `codeBlob`. */
  blobInUse(codeBlob: string): boolean {
    return this.codeBlobs().has(codeBlob) || this.blobsUsedByFunctions().has(codeBlob);
  }

  statements(layerName: string, version: number): StoredLayerStatement[] {
    return this.sql(
      'SELECT sid, statement FROM lambda_layer_statements WHERE layer_name = ? AND version = ? ORDER BY position',
    ).all(layerName, version) as StoredLayerStatement[];
  }

  policyRevision(layerName: string, version: number): string | undefined {
    const row = this.sql('SELECT policy_revision FROM lambda_layer_versions WHERE layer_name = ? AND version = ?').get(
      layerName,
      version,
    ) as { policy_revision: string } | undefined;
    return row?.policy_revision;
  }

  /**
   * Adds a statement when the policy's revision is still `expectedRevision` (when given) and the sid is new;
   * sets the policy's new revision. Answers what stopped it otherwise.
   */
  addStatement(
    layerName: string,
    version: number,
    sid: string,
    statement: string,
    revisions: { expected?: string; next: string },
  ): 'added' | 'stale' | 'exists' {
    return this.db.transaction(() => {
      if (revisions.expected !== undefined && this.policyRevision(layerName, version) !== revisions.expected)
        return 'stale' as const;
      const inserted = this.sql(
        `INSERT INTO lambda_layer_statements (layer_name, version, sid, statement, position)
           VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM lambda_layer_statements
                                 WHERE layer_name = ? AND version = ?))
           ON CONFLICT(layer_name, version, sid) DO NOTHING`,
      ).run(layerName, version, sid, statement, layerName, version);
      if (inserted.changes === 0) return 'exists' as const;
      this.setRevision(layerName, version, revisions.next);
      return 'added' as const;
    })();
  }

  /** Removes a statement, under the same revision check as `addStatement`. */
  removeStatement(
    layerName: string,
    version: number,
    sid: string,
    revisions: { expected?: string; next: string },
  ): 'removed' | 'stale' | 'missing' {
    return this.db.transaction(() => {
      if (revisions.expected !== undefined && this.policyRevision(layerName, version) !== revisions.expected)
        return 'stale' as const;
      const removed = this.sql(
        'DELETE FROM lambda_layer_statements WHERE layer_name = ? AND version = ? AND sid = ?',
      ).run(layerName, version, sid);
      if (removed.changes === 0) return 'missing' as const;
      this.setRevision(layerName, version, revisions.next);
      return 'removed' as const;
    })();
  }

  private setRevision(layerName: string, version: number, revision: string): void {
    this.sql('UPDATE lambda_layer_versions SET policy_revision = ? WHERE layer_name = ? AND version = ?').run(
      revision,
      layerName,
      version,
    );
  }
}

function fromRow(row: LayerVersionRow): StoredLayerVersion {
  return {
    layerName: row.layer_name,
    version: row.version,
    description: row.description,
    ...(row.license_info !== null && { licenseInfo: row.license_info }),
    compatibleRuntimes: JSON.parse(row.compatible_runtimes) as string[],
    compatibleArchitectures: JSON.parse(row.compatible_architectures) as string[],
    createdDate: row.created_date,
    codeBlob: row.code_blob,
    codeSha256: row.code_sha256,
    codeSize: row.code_size,
  };
}
