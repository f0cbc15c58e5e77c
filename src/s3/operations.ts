import type { IncomingHttpHeaders } from 'node:http';
import { S3_OPERATIONS } from '../protocols/models/s3.generated.ts';
import type { RestOperationSpec } from '../protocols/models/rest-operation-spec.ts';

/**
 * How each operation of botocore's S3 model looks on the wire (from the generated `S3_OPERATIONS`): what the path
 * names, the sub-resource query keys of its request URI, and the query keys and headers its input requires.
 * Operations with the same wire shape (a deprecated twin such as GetBucketLifecycle, or ListDirectoryBuckets beside
 * ListBuckets) form one entry with several names.
 */
export interface S3OperationShape {
  readonly names: readonly string[];
  readonly method: string;
  /** What the path names: `/`, `/{Bucket}`, `/{Bucket}/{Key+}`, or the fixed `path` (`/WriteGetObjectResponse`). */
  readonly target: 'service' | 'bucket' | 'object' | 'fixed';
  readonly path?: string;
  /** Query keys the request URI always carries, with the value it must have where it has one (`list-type=2`). */
  readonly subresources: ReadonlyArray<readonly [string, string | null]>;
  readonly params: readonly string[];
  readonly headers: readonly string[];
}

export interface S3RequestShape {
  method: string;
  /** Path as received (percent-encoding kept); only compared with fixed paths. */
  rawPath: string;
  hasBucket: boolean;
  hasKey: boolean;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export type Recognised =
  | { kind: 'operation'; shape: S3OperationShape }
  /** The request names a sub-resource the recognised operation does not take (`PUT /b/k?versioning`). */
  | { kind: 'stray-subresource'; shape: S3OperationShape; subresource: string }
  /** No operation of the model has this method on this kind of resource. */
  | { kind: 'none'; resourceType: 'SERVICE' | 'BUCKET' | 'OBJECT' };

function shapeOf(spec: RestOperationSpec): S3OperationShape {
  const [path = '', query = ''] = spec.requestUri.split('?');
  const target =
    path === '/' ? 'service' : path === '/{Bucket}' ? 'bucket' : path === '/{Bucket}/{Key+}' ? 'object' : 'fixed';
  const subresources = query
    .split('&')
    .filter(Boolean)
    .map((pair): [string, string | null] => {
      const [key = '', value] = pair.split('=');
      return [key, value ?? null];
    });
  return {
    names: [spec.name],
    method: spec.method,
    target,
    ...(target === 'fixed' ? { path } : {}),
    subresources,
    params: spec.requiredQuery ?? [],
    headers: spec.requiredHeaders ?? [],
  };
}

function groupByWireShape(specs: readonly RestOperationSpec[]): S3OperationShape[] {
  const byWire = new Map<string, S3OperationShape>();
  for (const spec of [...specs].sort((a, b) => a.name.localeCompare(b.name))) {
    const shape = shapeOf(spec);
    const wire = JSON.stringify([
      shape.method,
      shape.target,
      shape.path,
      shape.subresources,
      shape.params,
      shape.headers,
    ]);
    const twin = byWire.get(wire);
    byWire.set(wire, twin ? { ...twin, names: [...twin.names, spec.name] } : shape);
  }
  return [...byWire.values()];
}

export const S3_OPERATION_SHAPES: readonly S3OperationShape[] = groupByWireShape(S3_OPERATIONS);

/** Query keys that select a sub-resource somewhere in the model (`acl`, `versioning`, ...), not valued ones. */
const SUBRESOURCE_KEYS = new Set(
  S3_OPERATION_SHAPES.flatMap((op) => op.subresources.filter(([, value]) => value === null).map(([key]) => key)),
);

const byTarget = new Map<string, S3OperationShape[]>();
for (const op of S3_OPERATION_SHAPES) {
  const id = `${op.method} ${op.target}`;
  byTarget.set(id, [...(byTarget.get(id) ?? []), op]);
}

/**
 * The operation of the model a request is. Every sub-resource of its request URI must be present; among those, the
 * operation with the most sub-resources wins, then the most required parameters and headers present, then the fewest
 * missing: a request with `uploadId` but no `partNumber` is UploadPart (whose handler reports what is missing), never
 * PutObject.
 */
export function recognise(request: S3RequestShape): Recognised {
  if (!request.hasBucket && !request.hasKey) {
    return best(byTarget.get(`${request.method} service`), request) ?? { kind: 'none', resourceType: 'SERVICE' };
  }
  const fixed = (byTarget.get(`${request.method} fixed`) ?? []).filter((op) => op.path === request.rawPath);
  const target = request.hasKey ? 'object' : 'bucket';
  const found = best(fixed, request) ?? best(byTarget.get(`${request.method} ${target}`), request);
  if (!found) return { kind: 'none', resourceType: request.hasKey ? 'OBJECT' : 'BUCKET' };
  for (const key of request.query.keys()) {
    if (SUBRESOURCE_KEYS.has(key) && !found.shape.subresources.some(([name]) => name === key)) {
      return { kind: 'stray-subresource', shape: found.shape, subresource: key };
    }
  }
  return found;
}

function best(
  candidates: S3OperationShape[] | undefined,
  request: S3RequestShape,
): { kind: 'operation'; shape: S3OperationShape } | undefined {
  let chosen: S3OperationShape | undefined;
  let chosenScore: number[] = [];
  for (const op of candidates ?? []) {
    const present = op.subresources.every(([key, value]) =>
      value === null ? request.query.has(key) : request.query.get(key) === value,
    );
    if (!present) continue;
    const required = [
      ...op.params.map((name) => request.query.has(name)),
      ...op.headers.map((name) => request.headers[name] !== undefined),
    ];
    const met = required.filter(Boolean).length;
    // Known by its required members alone (CompleteMultipartUpload by uploadId): none present, not this one.
    if (op.subresources.length === 0 && required.length > 0 && met === 0) continue;
    const score = [op.subresources.length, met, met - required.length];
    if (!chosen || isGreater(score, chosenScore)) {
      chosen = op;
      chosenScore = score;
    }
  }
  return chosen && { kind: 'operation', shape: chosen };
}

function isGreater(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}
