// RestRouter over the generated model tables: every operation of the Lambda, API Gateway v2 and S3 models routes to
// itself (or to a twin with the very same HTTP binding, e.g. S3's deprecated GetBucketLifecycle), never to another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestRouter, type RestOperationSpec } from '../../src/protocols/rest-router.ts';
import { APIGATEWAYV2_OPERATIONS } from '../../src/protocols/models/apigatewayv2.generated.ts';
import { LAMBDA_OPERATIONS } from '../../src/protocols/models/lambda.generated.ts';
import { S3_OPERATIONS } from '../../src/protocols/models/s3.generated.ts';
import { loadServiceModel, requestFor, type ModelOperation } from '../helpers/botocore-walk.ts';

const TABLES: Record<string, readonly RestOperationSpec[]> = {
  lambda: LAMBDA_OPERATIONS,
  apigatewayv2: APIGATEWAYV2_OPERATIONS,
  s3: S3_OPERATIONS,
};

const binding = (op: RestOperationSpec | ModelOperation) => {
  const [method, uri] = 'http' in op ? [op.http.method, op.http.requestUri] : [op.method, op.requestUri];
  return JSON.stringify([method, uri, [...(op.requiredQuery ?? [])].sort(), [...(op.requiredHeaders ?? [])].sort()]);
};

for (const [service, table] of Object.entries(TABLES)) {
  test(`${service}: the generated table matches botocore and every operation's request routes to it`, () => {
    const model = loadServiceModel(service);
    assert.deepEqual(
      table.map((op) => `${op.name} ${binding(op)}`),
      model.operations.map((op) => `${op.name} ${binding(op)}`).sort(),
      'regenerate with python3 scripts/gen-rest-operations.py',
    );
    const router = new RestRouter<() => void>(table, {});
    const bindings = new Map(table.map((op) => [op.name, binding(op)]));
    for (const op of model.operations) {
      const request = requestFor(model, op);
      const url = new URL(request.path, 'http://edge');
      const match = router.match(request.method, url.pathname, url.searchParams, request.headers);
      assert.ok(match, `${op.name}: ${request.method} ${request.path} matches nothing`);
      assert.ok(
        match.operation === op.name || bindings.get(match.operation) === binding(op),
        `${op.name}: ${request.method} ${request.path} went to ${match.operation}`,
      );
      assert.equal(match.handler, undefined);
    }
  });
}

test('the most specific binding wins; greedy parameters keep slashes; parameters stay encoded', () => {
  const router = new RestRouter(S3_OPERATIONS, { GetObject: 'get', ListParts: 'parts', ListObjectsV2: 'v2' });
  const q = (s: string) => new URLSearchParams(s);
  assert.deepEqual(router.match('GET', '/b/dir/a%20b/', q(''), {}), {
    operation: 'GetObject',
    handler: 'get',
    params: { Bucket: 'b', Key: 'dir/a%20b/' },
  });
  assert.equal(router.match('GET', '/b/k', q('uploadId=1'), {})?.handler, 'parts');
  assert.equal(router.match('GET', '/b', q('list-type=2'), {})?.handler, 'v2');
  assert.equal(router.match('GET', '/b/', q(''), {})?.operation, 'ListObjects');
  assert.equal(router.match('PUT', '/b/k', q(''), { 'x-amz-copy-source': 'a/b' })?.operation, 'CopyObject');
  assert.equal(router.match('PATCH', '/b/k', q(''), {}), undefined);
  assert.throws(() => new RestRouter(S3_OPERATIONS, { NoSuchOperation: 1 }), /no operation NoSuchOperation/);
});
