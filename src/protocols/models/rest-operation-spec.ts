/** One operation of a rest-xml model with its HTTP binding, as botocore describes it (S3's recognition table). */
export interface RestOperationSpec {
  readonly name: string;
  readonly method: string;
  /** `/{Bucket}/{Key+}`; `?uploads` and `?list-type=2` after the path are query keys (and values) it requires. */
  readonly requestUri: string;
  /** Query keys the operation's input requires (S3's `uploadId` tells ListParts from GetObject). */
  readonly requiredQuery?: readonly string[];
  /** Headers the operation's input requires, lower case (S3's `x-amz-copy-source` tells CopyObject from PutObject). */
  readonly requiredHeaders?: readonly string[];
}
