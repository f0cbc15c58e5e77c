/** How one S3 operation looks on the wire, as botocore's model describes it (see scripts/gen-s3-operations.py). */
export interface S3OperationShape {
  readonly name: string;
  readonly method: string;
  /** What the path names: `/`, `/{Bucket}`, `/{Bucket}/{Key+}`, or the fixed `path`. */
  readonly target: 'service' | 'bucket' | 'object' | 'fixed';
  readonly path?: string;
  /** Query parameters the request URI always carries, with the value it must have where it has one. */
  readonly subresources?: ReadonlyArray<readonly [string, string | null]>;
  /** Query parameters the model marks required. */
  readonly params?: readonly string[];
  /** Headers the model marks required (lower case). */
  readonly headers?: readonly string[];
  /** Other operation names with exactly this wire shape (deprecated twins). */
  readonly aliases?: readonly string[];
}
