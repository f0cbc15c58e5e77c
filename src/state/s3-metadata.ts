import { randomBytes } from 'node:crypto';
import { migrate, type StateDatabase } from './database.ts';

export const S3_MIGRATIONS = [
  `CREATE TABLE s3_buckets (
     name TEXT PRIMARY KEY,
     region TEXT NOT NULL,
     created_at TEXT NOT NULL,
     cors TEXT
   );
   CREATE TABLE s3_objects (
     bucket TEXT NOT NULL REFERENCES s3_buckets(name),
     key TEXT NOT NULL,
     blob_id TEXT NOT NULL,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     last_modified TEXT NOT NULL,
     headers TEXT NOT NULL,
     metadata TEXT NOT NULL,
     checksum_algorithm TEXT,
     checksum_value TEXT,
     checksum_type TEXT,
     parts_count INTEGER,
     PRIMARY KEY (bucket, key)
   ) WITHOUT ROWID;
   CREATE TABLE s3_uploads (
     upload_id TEXT PRIMARY KEY,
     bucket TEXT NOT NULL REFERENCES s3_buckets(name),
     key TEXT NOT NULL,
     initiated TEXT NOT NULL,
     headers TEXT NOT NULL,
     metadata TEXT NOT NULL,
     checksum_algorithm TEXT
   );
   CREATE INDEX s3_uploads_by_bucket ON s3_uploads (bucket, key, initiated);
   CREATE TABLE s3_parts (
     upload_id TEXT NOT NULL REFERENCES s3_uploads(upload_id) ON DELETE CASCADE,
     part_number INTEGER NOT NULL,
     blob_id TEXT NOT NULL,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     checksum_value TEXT,
     last_modified TEXT NOT NULL,
     PRIMARY KEY (upload_id, part_number)
   ) WITHOUT ROWID;`,
  // Versioning, tags and bucket settings. Existing objects become the "null" version of their key.
  `ALTER TABLE s3_buckets ADD COLUMN versioning TEXT;
   ALTER TABLE s3_objects ADD COLUMN version_id TEXT;
   ALTER TABLE s3_objects ADD COLUMN tags TEXT;
   CREATE TABLE s3_versions (
     bucket TEXT NOT NULL REFERENCES s3_buckets(name),
     key TEXT NOT NULL,
     seq INTEGER NOT NULL,
     version_id TEXT,
     delete_marker INTEGER NOT NULL,
     blob_id TEXT,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     last_modified TEXT NOT NULL,
     headers TEXT NOT NULL,
     metadata TEXT NOT NULL,
     checksum_algorithm TEXT,
     checksum_value TEXT,
     checksum_type TEXT,
     parts_count INTEGER,
     tags TEXT,
     PRIMARY KEY (bucket, key, seq)
   ) WITHOUT ROWID;
   CREATE INDEX s3_versions_by_id ON s3_versions (bucket, key, version_id);
   CREATE TABLE s3_bucket_settings (
     bucket TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
     name TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (bucket, name)
   ) WITHOUT ROWID;`,
];

/** Columns an object version has in both `s3_objects` (the current version) and `s3_versions`. */
const VERSION_COLUMNS =
  'version_id, blob_id, size, etag, last_modified, headers, metadata, checksum_algorithm, checksum_value, ' +
  'checksum_type, parts_count, tags';
/** Sorts after every `seq`: the current version is the newest of its key. */
const CURRENT_RANK = Number.MAX_SAFE_INTEGER;

export type VersioningStatus = 'Enabled' | 'Suspended';

export interface BucketRow {
  name: string;
  region: string;
  created_at: string;
  cors: string | null;
  /** Null until versioning was first configured; it never returns to null. */
  versioning: VersioningStatus | null;
}

/** Object tags in the order given: [key, value]. */
export type Tags = Array<[string, string]>;

/** Standard headers kept with an object (content-type, cache-control, ...), lower-case names. */
export type StoredHeaders = Record<string, string>;

export interface ObjectRecord {
  bucket: string;
  key: string;
  blobId: string;
  size: number;
  etag: string;
  lastModified: string;
  headers: StoredHeaders;
  metadata: Record<string, string>;
  checksumAlgorithm?: string;
  checksumValue?: string;
  checksumType?: string;
  partsCount?: number;
  /** Set by the store on write: a version id, or null for the "null" version (unversioned or suspended buckets). */
  versionId?: string | null;
  tags?: Tags;
}

/** One entry of a key's history: an object version or a delete marker. */
export type ObjectVersion =
  | { kind: 'object'; record: ObjectRecord; isLatest: boolean }
  | { kind: 'delete-marker'; key: string; versionId: string | null; lastModified: string; isLatest: boolean };

/** A version as listed, with `rank` for paging: the current version ranks highest, older ones by age. */
export type ListedVersion = ObjectVersion & { rank: number };

/** What a write of an object version did. */
export interface VersionWrite {
  versionId: string | null;
  versioning: VersioningStatus | null;
  /** Blob ids no row references any more: remove the files after the commit. */
  unreferenced: string[];
}

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: string;
  headers: StoredHeaders;
  metadata: Record<string, string>;
  checksumAlgorithm?: string;
}

export interface PartRecord {
  uploadId: string;
  partNumber: number;
  blobId: string;
  size: number;
  etag: string;
  checksumValue?: string;
  lastModified: string;
}

interface ObjectRow {
  bucket: string;
  key: string;
  blob_id: string;
  size: number;
  etag: string;
  last_modified: string;
  headers: string;
  metadata: string;
  checksum_algorithm: string | null;
  checksum_value: string | null;
  checksum_type: string | null;
  parts_count: number | null;
  version_id: string | null;
  tags: string | null;
}

interface VersionRow extends ObjectRow {
  delete_marker: number;
  rank: number;
  is_latest: number;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: string;
  headers: string;
  metadata: string;
  checksum_algorithm: string | null;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  blob_id: string;
  size: number;
  etag: string;
  checksum_value: string | null;
  last_modified: string;
}

const toObject = (r: ObjectRow): ObjectRecord => ({
  bucket: r.bucket,
  key: r.key,
  blobId: r.blob_id,
  size: r.size,
  etag: r.etag,
  lastModified: r.last_modified,
  headers: JSON.parse(r.headers) as StoredHeaders,
  metadata: JSON.parse(r.metadata) as Record<string, string>,
  checksumAlgorithm: r.checksum_algorithm ?? undefined,
  checksumValue: r.checksum_value ?? undefined,
  checksumType: r.checksum_type ?? undefined,
  partsCount: r.parts_count ?? undefined,
  versionId: r.version_id,
  tags: r.tags ? (JSON.parse(r.tags) as Tags) : undefined,
});

const toVersion = (r: VersionRow): ListedVersion =>
  r.delete_marker
    ? {
        kind: 'delete-marker',
        key: r.key,
        versionId: r.version_id,
        lastModified: r.last_modified,
        isLatest: !!r.is_latest,
        rank: r.rank,
      }
    : { kind: 'object', record: toObject(r), isLatest: !!r.is_latest, rank: r.rank };

/** A new version id: 32 URL-safe characters, as S3's are. */
export const newVersionId = (): string => randomBytes(24).toString('base64url');
export const VERSION_ID = /^[A-Za-z0-9_-]{32}$/;

const toUpload = (r: UploadRow): UploadRecord => ({
  uploadId: r.upload_id,
  bucket: r.bucket,
  key: r.key,
  initiated: r.initiated,
  headers: JSON.parse(r.headers) as StoredHeaders,
  metadata: JSON.parse(r.metadata) as Record<string, string>,
  checksumAlgorithm: r.checksum_algorithm ?? undefined,
});

const toPart = (r: PartRow): PartRecord => ({
  uploadId: r.upload_id,
  partNumber: r.part_number,
  blobId: r.blob_id,
  size: r.size,
  etag: r.etag,
  checksumValue: r.checksum_value ?? undefined,
  lastModified: r.last_modified,
});

/**
 * The S3 service's tables. `s3_objects` holds the current version of each key (what listings show);
 * `s3_versions` holds older versions and delete markers, ordered by `seq`. Writes that drop content return the
 * blob ids that are no longer referenced, so the caller removes those files only after the row committed.
 */
export class S3Metadata {
  constructor(private readonly db: StateDatabase) {
    migrate(db, 's3', S3_MIGRATIONS);
  }

  // Buckets

  listBuckets(): BucketRow[] {
    return this.db.prepare('SELECT * FROM s3_buckets ORDER BY name').all() as BucketRow[];
  }

  getBucket(name: string): BucketRow | undefined {
    return this.db.prepare('SELECT * FROM s3_buckets WHERE name = ?').get(name) as BucketRow | undefined;
  }

  /** Returns false when the bucket already exists. */
  createBucket(name: string, region: string, createdAt: string): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO s3_buckets (name, region, created_at) VALUES (?, ?, ?)')
        .run(name, region, createdAt).changes === 1
    );
  }

  /** Deletes an empty bucket (and its aborted-upload leftovers); 'not-empty' when objects or versions remain. */
  deleteBucket(name: string): { result: 'deleted' | 'not-empty'; orphanBlobs: string[] } {
    return this.db.transaction(() => {
      const used =
        this.db.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1').get(name) ??
        this.db.prepare('SELECT 1 FROM s3_versions WHERE bucket = ? LIMIT 1').get(name);
      if (used) return { result: 'not-empty' as const, orphanBlobs: [] };
      const orphanBlobs = (
        this.db
          .prepare('SELECT p.blob_id FROM s3_parts p JOIN s3_uploads u USING (upload_id) WHERE u.bucket = ?')
          .all(name) as Array<{ blob_id: string }>
      ).map((r) => r.blob_id);
      this.db.prepare('DELETE FROM s3_uploads WHERE bucket = ?').run(name);
      this.db.prepare('DELETE FROM s3_bucket_settings WHERE bucket = ?').run(name);
      this.db.prepare('DELETE FROM s3_buckets WHERE name = ?').run(name);
      return { result: 'deleted' as const, orphanBlobs };
    })();
  }

  setBucketCors(name: string, cors: string | null): void {
    this.db.prepare('UPDATE s3_buckets SET cors = ? WHERE name = ?').run(cors, name);
  }

  setBucketVersioning(name: string, status: VersioningStatus): void {
    this.db.prepare('UPDATE s3_buckets SET versioning = ? WHERE name = ?').run(status, name);
  }

  /** A bucket setting (`policy`, `tagging`, ...) as stored, or undefined. */
  getBucketSetting(bucket: string, name: string): string | undefined {
    const row = this.db
      .prepare('SELECT value FROM s3_bucket_settings WHERE bucket = ? AND name = ?')
      .get(bucket, name) as { value: string } | undefined;
    return row?.value;
  }

  /** Stores a bucket setting; undefined removes it. */
  setBucketSetting(bucket: string, name: string, value: string | undefined): void {
    if (value === undefined)
      this.db.prepare('DELETE FROM s3_bucket_settings WHERE bucket = ? AND name = ?').run(bucket, name);
    else
      this.db
        .prepare('INSERT OR REPLACE INTO s3_bucket_settings (bucket, name, value) VALUES (?, ?, ?)')
        .run(bucket, name, value);
  }

  /** Every blob id an object version or an uploaded part references. */
  blobIds(): string[] {
    return this.db
      .prepare(
        'SELECT blob_id FROM s3_objects UNION SELECT blob_id FROM s3_parts UNION SELECT blob_id FROM s3_versions WHERE blob_id IS NOT NULL',
      )
      .pluck()
      .all() as string[];
  }

  // Objects

  /** The current version of a key; undefined when there is none or the newest entry is a delete marker. */
  getObject(bucket: string, key: string): ObjectRecord | undefined {
    const row = this.db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?').get(bucket, key) as
      ObjectRow | undefined;
    return row && toObject(row);
  }

  /** The newest entry of a key's history when it is a delete marker. */
  latestDeleteMarker(bucket: string, key: string): ObjectVersion | undefined {
    if (this.getObject(bucket, key)) return undefined;
    const row = this.db
      .prepare(
        'SELECT *, seq AS rank, 1 AS is_latest FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1',
      )
      .get(bucket, key) as VersionRow | undefined;
    return row?.delete_marker ? toVersion(row) : undefined;
  }

  /** One version of a key by id (null: the "null" version). */
  getVersion(bucket: string, key: string, versionId: string | null): ObjectVersion | undefined {
    const current = this.getObject(bucket, key);
    if (current && (current.versionId ?? null) === versionId)
      return { kind: 'object', record: current, isLatest: true };
    const row = this.db
      .prepare(
        `SELECT *, seq AS rank, (? = 0 AND seq = (SELECT MAX(seq) FROM s3_versions m WHERE m.bucket = v.bucket AND m.key = v.key)) AS is_latest
         FROM s3_versions v WHERE bucket = ? AND key = ? AND version_id IS ?`,
      )
      .get(current ? 1 : 0, bucket, key, versionId) as VersionRow | undefined;
    return row && toVersion(row);
  }

  /**
   * Writes a new version of an object as the bucket's versioning state says: replacing the current one
   * (unversioned), keeping it as an older version (Enabled), or replacing only the "null" version (Suspended).
   * Returns null when the bucket no longer exists.
   */
  putObject(o: ObjectRecord): VersionWrite | null {
    return this.db.transaction(() => {
      const bucket = this.db.prepare('SELECT versioning FROM s3_buckets WHERE name = ?').get(o.bucket) as
        Pick<BucketRow, 'versioning'> | undefined;
      if (!bucket) return null;
      const { versioning } = bucket;
      const versionId = versioning === 'Enabled' ? newVersionId() : null;
      const unreferenced = this.makeRoomForVersion(o.bucket, o.key, versioning);
      this.db
        .prepare(
          `INSERT INTO s3_objects (bucket, key, ${VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          o.bucket,
          o.key,
          versionId,
          o.blobId,
          o.size,
          o.etag,
          o.lastModified,
          JSON.stringify(o.headers),
          JSON.stringify(o.metadata),
          o.checksumAlgorithm ?? null,
          o.checksumValue ?? null,
          o.checksumType ?? null,
          o.partsCount ?? null,
          o.tags?.length ? JSON.stringify(o.tags) : null,
        );
      return { versionId, versioning, unreferenced: unreferenced.filter((id) => id !== o.blobId) };
    })();
  }

  /**
   * Deletes a key without naming a version: removes it (unversioned), or adds a delete marker that becomes the
   * newest entry (Enabled: a new id; Suspended: the "null" version, which it replaces).
   */
  deleteObject(bucket: string, key: string, lastModified: string): VersionWrite & { deleteMarker: boolean } {
    return this.db.transaction(() => {
      const versioning = this.getBucket(bucket)?.versioning ?? null;
      if (versioning === null) {
        const row = this.db
          .prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING blob_id')
          .get(bucket, key) as { blob_id: string } | undefined;
        return { versionId: null, versioning, deleteMarker: false, unreferenced: row ? [row.blob_id] : [] };
      }
      const unreferenced = this.makeRoomForVersion(bucket, key, versioning);
      const versionId = versioning === 'Enabled' ? newVersionId() : null;
      this.db
        .prepare(
          `INSERT INTO s3_versions (bucket, key, seq, delete_marker, ${VERSION_COLUMNS})
           VALUES (?, ?, ?, 1, ?, NULL, 0, '', ?, '{}', '{}', NULL, NULL, NULL, NULL, NULL)`,
        )
        .run(bucket, key, this.nextSeq(bucket, key), versionId, lastModified);
      return { versionId, versioning, deleteMarker: true, unreferenced };
    })();
  }

  /**
   * Removes one version for good; when it was the newest, the next older one becomes current again.
   * Returns undefined when the key has no such version.
   */
  deleteVersion(
    bucket: string,
    key: string,
    versionId: string | null,
  ): { deleteMarker: boolean; unreferenced: string[] } | undefined {
    return this.db.transaction(() => {
      const current = this.db
        .prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id IS ? RETURNING blob_id')
        .get(bucket, key, versionId) as { blob_id: string } | undefined;
      let result: { deleteMarker: boolean; unreferenced: string[] } | undefined;
      if (current) {
        result = { deleteMarker: false, unreferenced: [current.blob_id] };
      } else {
        const older = this.db
          .prepare(
            'DELETE FROM s3_versions WHERE bucket = ? AND key = ? AND version_id IS ? RETURNING blob_id, delete_marker',
          )
          .get(bucket, key, versionId) as { blob_id: string | null; delete_marker: number } | undefined;
        if (older) result = { deleteMarker: !!older.delete_marker, unreferenced: older.blob_id ? [older.blob_id] : [] };
      }
      if (result) this.promoteNewest(bucket, key);
      return result;
    })();
  }

  /**
   * Sets (or, with undefined, removes) the tags of the current version or of the version named.
   * Returns 'no-version' when there is no such version, 'delete-marker' when it is a delete marker.
   */
  setObjectTags(
    bucket: string,
    key: string,
    versionId: string | null | undefined,
    tags: Tags | undefined,
  ): 'ok' | 'no-version' | 'delete-marker' {
    const value = tags?.length ? JSON.stringify(tags) : null;
    return this.db.transaction(() => {
      const current =
        versionId === undefined
          ? this.db.prepare('UPDATE s3_objects SET tags = ? WHERE bucket = ? AND key = ?').run(value, bucket, key)
          : this.db
              .prepare('UPDATE s3_objects SET tags = ? WHERE bucket = ? AND key = ? AND version_id IS ?')
              .run(value, bucket, key, versionId);
      if (current.changes === 1) return 'ok' as const;
      const older =
        versionId === undefined
          ? (this.db
              .prepare(
                'SELECT seq, delete_marker FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1',
              )
              .get(bucket, key) as { seq: number; delete_marker: number } | undefined)
          : (this.db
              .prepare('SELECT seq, delete_marker FROM s3_versions WHERE bucket = ? AND key = ? AND version_id IS ?')
              .get(bucket, key, versionId) as { seq: number; delete_marker: number } | undefined);
      if (!older || (versionId === undefined && !older.delete_marker)) return 'no-version' as const;
      if (older.delete_marker) return 'delete-marker' as const;
      this.db
        .prepare('UPDATE s3_versions SET tags = ? WHERE bucket = ? AND key = ? AND seq = ?')
        .run(value, bucket, key, older.seq);
      return 'ok' as const;
    })();
  }

  /** Objects with `key > after` and the prefix, in UTF-8 byte order. */
  listObjects(bucket: string, prefix: string, after: string, limit: number): ObjectRecord[] {
    const rows = prefix
      ? (this.db
          .prepare(
            'SELECT * FROM s3_objects WHERE bucket = ? AND key > ? AND key >= ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?',
          )
          .all(bucket, after, prefix, [...prefix].length, prefix, limit) as ObjectRow[])
      : (this.db
          .prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?')
          .all(bucket, after, limit) as ObjectRow[]);
    return rows.map(toObject);
  }

  /** Every version and delete marker with the prefix after (`afterKey`, `afterRank`): by key, newest first. */
  listVersions(bucket: string, prefix: string, afterKey: string, afterRank: number, limit: number): ListedVersion[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM (
           SELECT bucket, key, ${CURRENT_RANK} AS rank, 0 AS delete_marker, 1 AS is_latest, ${VERSION_COLUMNS}
           FROM s3_objects WHERE bucket = @bucket
           UNION ALL
           SELECT bucket, key, seq AS rank, delete_marker,
             (NOT EXISTS (SELECT 1 FROM s3_objects o WHERE o.bucket = v.bucket AND o.key = v.key)
              AND seq = (SELECT MAX(seq) FROM s3_versions m WHERE m.bucket = v.bucket AND m.key = v.key)) AS is_latest,
             ${VERSION_COLUMNS}
           FROM s3_versions v WHERE bucket = @bucket
         )
         WHERE (key > @afterKey OR (key = @afterKey AND rank < @afterRank)) AND substr(key, 1, @prefixLength) = @prefix
         ORDER BY key, rank DESC LIMIT @limit`,
      )
      .all({ bucket, afterKey, afterRank, prefixLength: [...prefix].length, prefix, limit }) as VersionRow[];
    return rows.map(toVersion);
  }

  /** The listing rank of one version (see `listVersions`), or undefined when the key has no such version. */
  versionRank(bucket: string, key: string, versionId: string | null): number | undefined {
    if (
      this.db
        .prepare('SELECT 1 FROM s3_objects WHERE bucket = ? AND key = ? AND version_id IS ?')
        .get(bucket, key, versionId)
    )
      return CURRENT_RANK;
    const row = this.db
      .prepare('SELECT seq FROM s3_versions WHERE bucket = ? AND key = ? AND version_id IS ?')
      .get(bucket, key, versionId) as { seq: number } | undefined;
    return row?.seq;
  }

  /** Before a new newest entry: keeps the current version as an older one, or drops what it replaces. */
  private makeRoomForVersion(bucket: string, key: string, versioning: VersioningStatus | null): string[] {
    if (versioning === null) {
      const row = this.db
        .prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING blob_id')
        .get(bucket, key) as { blob_id: string } | undefined;
      return row ? [row.blob_id] : [];
    }
    const unreferenced: string[] = [];
    if (versioning === 'Suspended') {
      const dropped = [
        ...(this.db
          .prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id IS NULL RETURNING blob_id')
          .all(bucket, key) as Array<{ blob_id: string }>),
        ...(this.db
          .prepare('DELETE FROM s3_versions WHERE bucket = ? AND key = ? AND version_id IS NULL RETURNING blob_id')
          .all(bucket, key) as Array<{ blob_id: string | null }>),
      ];
      for (const row of dropped) if (row.blob_id) unreferenced.push(row.blob_id);
    }
    this.db
      .prepare(
        `INSERT INTO s3_versions (bucket, key, seq, delete_marker, ${VERSION_COLUMNS})
         SELECT bucket, key, ?, 0, ${VERSION_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ?`,
      )
      .run(this.nextSeq(bucket, key), bucket, key);
    this.db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?').run(bucket, key);
    return unreferenced;
  }

  /** After a version was removed: the newest remaining entry becomes current unless it is a delete marker. */
  private promoteNewest(bucket: string, key: string): void {
    if (this.db.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? AND key = ?').get(bucket, key)) return;
    const newest = this.db
      .prepare('SELECT seq, delete_marker FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1')
      .get(bucket, key) as { seq: number; delete_marker: number } | undefined;
    if (!newest || newest.delete_marker) return;
    this.db
      .prepare(
        `INSERT INTO s3_objects (bucket, key, ${VERSION_COLUMNS})
         SELECT bucket, key, ${VERSION_COLUMNS} FROM s3_versions WHERE bucket = ? AND key = ? AND seq = ?`,
      )
      .run(bucket, key, newest.seq);
    this.db.prepare('DELETE FROM s3_versions WHERE bucket = ? AND key = ? AND seq = ?').run(bucket, key, newest.seq);
  }

  private nextSeq(bucket: string, key: string): number {
    return this.db
      .prepare('SELECT COALESCE(MAX(seq), 0) + 1 FROM s3_versions WHERE bucket = ? AND key = ?')
      .pluck()
      .get(bucket, key) as number;
  }

  // Multipart uploads

  createUpload(u: UploadRecord): void {
    this.db
      .prepare(
        'INSERT INTO s3_uploads (upload_id, bucket, key, initiated, headers, metadata, checksum_algorithm) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        u.uploadId,
        u.bucket,
        u.key,
        u.initiated,
        JSON.stringify(u.headers),
        JSON.stringify(u.metadata),
        u.checksumAlgorithm ?? null,
      );
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const row = this.db.prepare('SELECT * FROM s3_uploads WHERE upload_id = ?').get(uploadId) as UploadRow | undefined;
    return row && toUpload(row);
  }

  listUploads(bucket: string): UploadRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM s3_uploads WHERE bucket = ? ORDER BY key, initiated, upload_id')
        .all(bucket) as UploadRow[]
    ).map(toUpload);
  }

  /** Records a part; returns the blob id of the part it replaced, if any. Returns null when the upload no longer exists. */
  putPart(p: PartRecord): string | undefined | null {
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM s3_uploads WHERE upload_id = ?').get(p.uploadId)) return null;
      const old = this.db
        .prepare('SELECT blob_id FROM s3_parts WHERE upload_id = ? AND part_number = ?')
        .get(p.uploadId, p.partNumber) as { blob_id: string } | undefined;
      this.db
        .prepare(
          'INSERT OR REPLACE INTO s3_parts (upload_id, part_number, blob_id, size, etag, checksum_value, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(p.uploadId, p.partNumber, p.blobId, p.size, p.etag, p.checksumValue ?? null, p.lastModified);
      return old?.blob_id;
    })();
  }

  listParts(uploadId: string): PartRecord[] {
    return (
      this.db.prepare('SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number').all(uploadId) as PartRow[]
    ).map(toPart);
  }

  /** Removes the upload and its parts; returns the part blobs to delete. */
  deleteUpload(uploadId: string): string[] {
    return this.db.transaction(() => {
      const blobs = (
        this.db.prepare('SELECT blob_id FROM s3_parts WHERE upload_id = ?').all(uploadId) as Array<{ blob_id: string }>
      ).map((r) => r.blob_id);
      this.db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?').run(uploadId);
      return blobs;
    })();
  }

  /** Turns an upload into an object version in one transaction; null if the upload (or its bucket) is gone. */
  completeUpload(uploadId: string, object: ObjectRecord): VersionWrite | null {
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM s3_uploads WHERE upload_id = ?').get(uploadId)) return null;
      const partBlobs = this.deleteUpload(uploadId);
      const written = this.putObject(object);
      return written && { ...written, unreferenced: [...partBlobs, ...written.unreferenced] };
    })();
  }
}
