import type { IncomingHttpHeaders } from 'node:http';
import type { S3OperationShape } from './operation-shape.ts';
import { S3_OPERATIONS, type S3OperationName } from './operation-table.ts';

export type { S3OperationName } from './operation-table.ts';

export interface S3RequestShape {
  method: string;
  /** Path as received (percent-encoding kept); only compared with fixed paths such as `/WriteGetObjectResponse`. */
  rawPath: string;
  hasBucket: boolean;
  hasKey: boolean;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export type Recognised =
  | { kind: 'operation'; name: S3OperationName }
  /** The request names a sub-resource the recognised operation does not take (`PUT /b/k?versioning`). */
  | { kind: 'stray-subresource'; name: S3OperationName; subresource: string }
  /** No operation of the model has this method on this kind of resource. */
  | { kind: 'none'; resourceType: 'SERVICE' | 'BUCKET' | 'OBJECT' };

const OPERATIONS: readonly S3OperationShape[] = S3_OPERATIONS;

/** Query keys that select a sub-resource somewhere in the model (`acl`, `versioning`, ...), not valued ones. */
const SUBRESOURCE_KEYS = new Set(
  OPERATIONS.flatMap((op) => (op.subresources ?? []).filter(([, value]) => value === null).map(([key]) => key)),
);

const byTarget = new Map<string, S3OperationShape[]>();
for (const op of OPERATIONS) {
  const id = `${op.method} ${op.target}`;
  byTarget.set(id, [...(byTarget.get(id) ?? []), op]);
}

/**
 * The operation of botocore's S3 model a request is. Every sub-resource in the request URI must be present; among
 * those, the operation with the most sub-resources present wins, then the most required parameters and headers
 * present, then the fewest missing (a handler then reports what is missing, e.g. `partNumber`).
 */
export function recognise(request: S3RequestShape): Recognised {
  const { method, query } = request;
  if (!request.hasBucket && !request.hasKey) {
    return best(byTarget.get(`${method} service`), request) ?? { kind: 'none', resourceType: 'SERVICE' };
  }
  const fixed = (byTarget.get(`${method} fixed`) ?? []).filter((op) => op.path === request.rawPath);
  const target = request.hasKey ? 'object' : 'bucket';
  const found = best(fixed, request) ?? best(byTarget.get(`${method} ${target}`), request);
  if (!found) return { kind: 'none', resourceType: request.hasKey ? 'OBJECT' : 'BUCKET' };
  if (found.kind !== 'operation') return found;
  const taken = OPERATIONS.find((op) => op.name === found.name)!.subresources ?? [];
  for (const key of query.keys()) {
    if (SUBRESOURCE_KEYS.has(key) && !taken.some(([name]) => name === key)) {
      return { kind: 'stray-subresource', name: found.name, subresource: key };
    }
  }
  return found;
}

function best(candidates: S3OperationShape[] | undefined, request: S3RequestShape): Recognised | undefined {
  let chosen: S3OperationShape | undefined;
  let chosenScore: number[] = [];
  for (const op of candidates ?? []) {
    const subresources = op.subresources ?? [];
    const present = subresources.every(([key, value]) =>
      value === null ? request.query.has(key) : request.query.get(key) === value,
    );
    if (!present) continue;
    const required = [
      ...(op.params ?? []).map((name) => request.query.has(name)),
      ...(op.headers ?? []).map((name) => request.headers[name] !== undefined),
    ];
    const met = required.filter(Boolean).length;
    const score = [subresources.length, met, met - required.length];
    if (!chosen || isGreater(score, chosenScore)) {
      chosen = op;
      chosenScore = score;
    }
  }
  return chosen && { kind: 'operation', name: chosen.name as S3OperationName };
}

function isGreater(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

/** Every operation name of the model, aliases included, with the name the edge answers to for it. */
export function modelOperationNames(): Array<{ name: string; answersAs: S3OperationName }> {
  return OPERATIONS.flatMap((op) =>
    [op.name, ...(op.aliases ?? [])].map((name) => ({ name, answersAs: op.name as S3OperationName })),
  );
}
