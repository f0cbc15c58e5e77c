import { migrate, type StateDatabase } from './database.ts';

const MIGRATIONS = [
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
];

export interface BucketRow {
  name: string;
  region: string;
  created_at: string;
  cors: string | null;
}

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
});

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
 * The S3 service's tables. Writes that replace an object return the blob ids that are no longer referenced,
 * so the caller removes those files only after the row committed.
 */
export class S3Metadata {
  constructor(private readonly db: StateDatabase) {
    migrate(db, 's3', MIGRATIONS);
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
    return this.db.prepare('INSERT OR IGNORE INTO s3_buckets (name, region, created_at) VALUES (?, ?, ?)').run(name, region, createdAt).changes === 1;
  }

  /** Deletes an empty bucket (and its aborted-upload leftovers); returns 'not-empty' when objects remain. */
  deleteBucket(name: string): { result: 'deleted' | 'not-empty'; orphanBlobs: string[] } {
    return this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1').get(name)) return { result: 'not-empty' as const, orphanBlobs: [] };
      const orphanBlobs = (
        this.db.prepare('SELECT p.blob_id FROM s3_parts p JOIN s3_uploads u USING (upload_id) WHERE u.bucket = ?').all(name) as Array<{ blob_id: string }>
      ).map((r) => r.blob_id);
      this.db.prepare('DELETE FROM s3_uploads WHERE bucket = ?').run(name);
      this.db.prepare('DELETE FROM s3_buckets WHERE name = ?').run(name);
      return { result: 'deleted' as const, orphanBlobs };
    })();
  }

  setBucketCors(name: string, cors: string | null): void {
    this.db.prepare('UPDATE s3_buckets SET cors = ? WHERE name = ?').run(cors, name);
  }

  /** Every blob id an object or an uploaded part references. */
  blobIds(): string[] {
    return (this.db.prepare('SELECT blob_id FROM s3_objects UNION SELECT blob_id FROM s3_parts').pluck().all() as string[]);
  }

  // Objects

  getObject(bucket: string, key: string): ObjectRecord | undefined {
    const row = this.db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?').get(bucket, key) as ObjectRow | undefined;
    return row && toObject(row);
  }

  /** Inserts or replaces an object; returns the blob id of the replaced object, if any. */
  putObject(o: ObjectRecord): string | undefined {
    return this.db.transaction(() => {
      const old = this.db.prepare('SELECT blob_id FROM s3_objects WHERE bucket = ? AND key = ?').get(o.bucket, o.key) as { blob_id: string } | undefined;
      this.db
        .prepare(
          `INSERT OR REPLACE INTO s3_objects (bucket, key, blob_id, size, etag, last_modified, headers, metadata, checksum_algorithm, checksum_value, checksum_type, parts_count)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(o.bucket, o.key, o.blobId, o.size, o.etag, o.lastModified, JSON.stringify(o.headers), JSON.stringify(o.metadata), o.checksumAlgorithm ?? null, o.checksumValue ?? null, o.checksumType ?? null, o.partsCount ?? null);
      return old && old.blob_id !== o.blobId ? old.blob_id : undefined;
    })();
  }

  /** Returns the blob id of the deleted object, if there was one. */
  deleteObject(bucket: string, key: string): string | undefined {
    const row = this.db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING blob_id').get(bucket, key) as { blob_id: string } | undefined;
    return row?.blob_id;
  }

  /** Objects with `key > after` and the prefix, in UTF-8 byte order. */
  listObjects(bucket: string, prefix: string, after: string, limit: number): ObjectRecord[] {
    const rows = prefix
      ? (this.db
          .prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key > ? AND key >= ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?')
          .all(bucket, after, prefix, [...prefix].length, prefix, limit) as ObjectRow[])
      : (this.db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?').all(bucket, after, limit) as ObjectRow[]);
    return rows.map(toObject);
  }

  // Multipart uploads

  createUpload(u: UploadRecord): void {
    this.db
      .prepare('INSERT INTO s3_uploads (upload_id, bucket, key, initiated, headers, metadata, checksum_algorithm) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(u.uploadId, u.bucket, u.key, u.initiated, JSON.stringify(u.headers), JSON.stringify(u.metadata), u.checksumAlgorithm ?? null);
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const row = this.db.prepare('SELECT * FROM s3_uploads WHERE upload_id = ?').get(uploadId) as UploadRow | undefined;
    return row && toUpload(row);
  }

  listUploads(bucket: string): UploadRecord[] {
    return (this.db.prepare('SELECT * FROM s3_uploads WHERE bucket = ? ORDER BY key, initiated, upload_id').all(bucket) as UploadRow[]).map(toUpload);
  }

  /** Records a part; returns the blob id of the part it replaced, if any. Returns null when the upload no longer exists. */
  putPart(p: PartRecord): string | undefined | null {
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM s3_uploads WHERE upload_id = ?').get(p.uploadId)) return null;
      const old = this.db.prepare('SELECT blob_id FROM s3_parts WHERE upload_id = ? AND part_number = ?').get(p.uploadId, p.partNumber) as { blob_id: string } | undefined;
      this.db
        .prepare('INSERT OR REPLACE INTO s3_parts (upload_id, part_number, blob_id, size, etag, checksum_value, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(p.uploadId, p.partNumber, p.blobId, p.size, p.etag, p.checksumValue ?? null, p.lastModified);
      return old?.blob_id;
    })();
  }

  listParts(uploadId: string): PartRecord[] {
    return (this.db.prepare('SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number').all(uploadId) as PartRow[]).map(toPart);
  }

  /** Removes the upload and its parts; returns the part blobs to delete. */
  deleteUpload(uploadId: string): string[] {
    return this.db.transaction(() => {
      const blobs = (this.db.prepare('SELECT blob_id FROM s3_parts WHERE upload_id = ?').all(uploadId) as Array<{ blob_id: string }>).map((r) => r.blob_id);
      this.db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?').run(uploadId);
      return blobs;
    })();
  }

  /** Turns an upload into an object in one transaction; returns the blobs no longer referenced, or null if the upload is gone. */
  completeUpload(uploadId: string, object: ObjectRecord): string[] | null {
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM s3_uploads WHERE upload_id = ?').get(uploadId)) return null;
      const partBlobs = this.deleteUpload(uploadId);
      const replaced = this.putObject(object);
      return replaced ? [...partBlobs, replaced] : partBlobs;
    })();
  }
}
