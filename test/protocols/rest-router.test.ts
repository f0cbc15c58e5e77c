import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestOperationRouter } from '../../src/protocols/rest-router.ts';
import { APIGATEWAYV2_OPERATIONS } from '../../src/apigw/model-operations.ts';
import { LAMBDA_OPERATIONS } from '../../src/lambda/model-operations.ts';

const OPS = [
  { name: 'ListLayers', method: 'GET', uri: '/2018-10-31/layers' },
  { name: 'GetLayerVersionByArn', method: 'GET', uri: '/2018-10-31/layers?find=LayerVersion' },
  { name: 'GetFunction', method: 'GET', uri: '/2015-03-31/functions/{FunctionName}' },
  { name: 'ListVersions', method: 'GET', uri: '/2015-03-31/functions/{FunctionName}/versions' },
  { name: 'GetVersionsThing', method: 'GET', uri: '/2015-03-31/functions/versions/{Id}' },
  { name: 'GetObject', method: 'GET', uri: '/{Bucket}/{Key+}' },
  { name: 'CreateMultipartUpload', method: 'POST', uri: '/{Bucket}/{Key+}?uploads' },
] as const;

type Name = (typeof OPS)[number]['name'];

const request = (method: string, target: string) => {
  const q = target.indexOf('?');
  return {
    method,
    rawPath: q === -1 ? target : target.slice(0, q),
    query: new URLSearchParams(q === -1 ? '' : target.slice(q + 1)),
  };
};

const router = new RestOperationRouter<Name, string>(OPS, { GetFunction: 'get-function' }, (raw) =>
  decodeURIComponent(raw),
);

test('the router names the operation of a method and path, with its decoded labels and its handler if any', () => {
  assert.deepEqual(router.match(request('GET', '/2015-03-31/functions/my%3Afn')), {
    operation: 'GetFunction',
    handler: 'get-function',
    labels: { FunctionName: 'my:fn' },
  });
  assert.deepEqual(router.match(request('GET', '/2015-03-31/functions/f/versions')), {
    operation: 'ListVersions',
    handler: undefined,
    labels: { FunctionName: 'f' },
  });
  assert.equal(
    router.match(request('GET', '/2015-03-31/functions/f/'))?.operation,
    'GetFunction',
    'a trailing slash is ignored',
  );
});

test('a literal segment wins over a label, and the walk backtracks to the label when the literal leads nowhere', () => {
  assert.deepEqual(router.match(request('GET', '/2015-03-31/functions/versions/7'))?.labels, { Id: '7' });
  assert.deepEqual(router.match(request('GET', '/2015-03-31/functions/versions')), {
    operation: 'GetFunction',
    handler: 'get-function',
    labels: { FunctionName: 'versions' },
  });
});

test('a template with a query part is chosen only when the query has it', () => {
  assert.equal(router.match(request('GET', '/2018-10-31/layers'))?.operation, 'ListLayers');
  assert.equal(
    router.match(request('GET', '/2018-10-31/layers?find=LayerVersion&Arn=x'))?.operation,
    'GetLayerVersionByArn',
  );
  assert.equal(router.match(request('GET', '/2018-10-31/layers?find=Other'))?.operation, 'ListLayers');
  assert.equal(router.match(request('POST', '/b/k?uploads'))?.operation, 'CreateMultipartUpload');
  assert.equal(router.match(request('POST', '/b/k')), undefined, 'POST without ?uploads is no operation');
});

test('a greedy label takes the rest of the path', () => {
  assert.deepEqual(router.match(request('GET', '/bucket/a/b%20c/d'))?.labels, { Bucket: 'bucket', Key: 'a/b c/d' });
  assert.equal(router.match(request('GET', '/bucket')), undefined);
});

test('no operation: unknown path, wrong method, empty label, relative path', () => {
  const lambdaLike = new RestOperationRouter<Name, string>(
    OPS.filter((o) => o.uri.startsWith('/20')),
    {},
    (raw) => raw,
  );
  assert.equal(lambdaLike.match(request('GET', '/2015-03-31/nothing')), undefined);
  assert.equal(lambdaLike.match(request('DELETE', '/2018-10-31/layers')), undefined);
  assert.equal(lambdaLike.match(request('GET', '/2015-03-31/functions//versions')), undefined);
  assert.equal(lambdaLike.match(request('GET', 'functions')), undefined);
});

test('a bad escape in a label is the error decodeLabel throws', () => {
  const strict = new RestOperationRouter<Name, string>(OPS, {}, (raw) => {
    throw new Error(`bad ${raw}`);
  });
  assert.throws(() => strict.match(request('GET', '/2015-03-31/functions/%E0%A4%A')), /bad %E0%A4%A/);
});

test('a handler for an operation the model lacks is refused when the router is built', () => {
  assert.throws(
    () => new RestOperationRouter<string, string>(OPS, { GetFunctoin: 'typo' }, (raw) => raw),
    /handler for GetFunctoin, which the model does not have/,
  );
});

test('every operation of the generated apigatewayv2 and lambda tables routes back to itself', () => {
  for (const ops of [APIGATEWAYV2_OPERATIONS, LAMBDA_OPERATIONS]) {
    const all = new RestOperationRouter<string, string>(ops, {}, (raw) => raw);
    for (const op of ops) {
      const target = op.uri.replace(/\{[^}]+\}/g, 'x1');
      assert.equal(all.match(request(op.method, target))?.operation, op.name, `${op.method} ${op.uri}`);
    }
  }
});
