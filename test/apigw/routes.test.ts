import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  findConflictingVariable,
  parseRouteKey,
  RouteKeyError,
  RouteTable,
  type ParsedRouteKey,
} from '../../src/apigw/routes.ts';

const table = (keys: string[]) => new RouteTable(keys.map((routeKey) => ({ routeKey, route: routeKey })));

test("the documentation's worked example selects the documented routes", () => {
  const t = table(['GET /pets/dog/1', 'GET /pets/dog/{id}', 'GET /pets/{proxy+}', 'ANY /{proxy+}', '$default']);
  assert.equal(t.match('GET', '/pets/dog/1')?.routeKey, 'GET /pets/dog/1');
  assert.deepEqual(t.match('GET', '/pets/dog/2'), {
    route: 'GET /pets/dog/{id}',
    routeKey: 'GET /pets/dog/{id}',
    pathParameters: { id: '2' },
  });
  assert.deepEqual(t.match('GET', '/pets/cat/1')?.pathParameters, { proxy: 'cat/1' });
  assert.equal(t.match('POST', '/test/5')?.routeKey, 'ANY /{proxy+}');
  assert.equal(t.match('GET', '/')?.routeKey, '$default');
});

test('explicit methods beat ANY on the same path; an unmatched method falls through to greedy, then $default, then nothing', () => {
  const t = table(['GET /a', 'ANY /a', 'GET /b', 'ANY /{proxy+}']);
  assert.equal(t.match('GET', '/a')?.routeKey, 'GET /a');
  assert.equal(t.match('POST', '/a')?.routeKey, 'ANY /a');
  assert.equal(t.match('POST', '/b')?.routeKey, 'ANY /{proxy+}');
  assert.equal(table(['GET /b', '$default']).match('POST', '/b')?.routeKey, '$default');
  assert.equal(table(['GET /b']).match('POST', '/b'), undefined);
  assert.equal(table(['GET /pets/{proxy+}']).match('GET', '/pets'), undefined);
  assert.equal(table(['GET /hello']).match('GET', '/hello/')?.routeKey, 'GET /hello');
});

test('route keys are validated with messages that say what is wrong', () => {
  for (const [key, message] of [
    ['GET /events/', /must not end with/],
    ['GET events', /must start with/],
    ['FETCH /a', /unsupported HTTP method/],
    ['GET /{proxy+}/x', /must be the last segment/],
    ['GET  /a', /one space/],
    ['GET /a//b', /empty segment/],
    ['GET /a{b}', /invalid path variable/],
  ] as const) {
    assert.throws(
      () => parseRouteKey(key),
      (err: Error) => err instanceof RouteKeyError && message.test(err.message),
      key,
    );
  }
  const parsed = (k: string) => parseRouteKey(k) as ParsedRouteKey;
  assert.equal(findConflictingVariable(parsed('GET /o/{a}/x'), [parsed('POST /o/{b}/y')])?.key, 'POST /o/{b}/y');
  assert.equal(
    findConflictingVariable(parsed('GET /o/{a}/x'), [parsed('POST /o/{a}/y'), parsed('GET /p/{b}')]),
    undefined,
  );
});

const segment = fc.constantFrom('a', 'b', 'c');
const literalPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);
const method = fc.constantFrom('GET', 'POST', 'ANY');

/** Route keys over a small alphabet so that they overlap: literals, {v} at any level, a greedy tail. */
const routeKey = fc
  .tuple(method, fc.array(fc.constantFrom('a', 'b', 'c', '{v}'), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([m, segs, greedy]) => `${m} /${[...segs, ...(greedy ? ['{proxy+}'] : [])].join('/')}`);

test('property: a route whose path equals the request path literally and whose method fits always wins', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(routeKey, { maxLength: 12 }),
      literalPath,
      fc.constantFrom('GET', 'POST'),
      (keys, path, m) => {
        const exact = [`${m} ${path}`];
        const t = table([...keys.filter((k) => k !== exact[0]), ...exact]);
        assert.equal(t.match(m, path)?.routeKey, exact[0]);
      },
    ),
  );
});

test('property: a full (non-greedy) match is never beaten by a greedy one, and $default only wins when nothing else matches', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(routeKey, { maxLength: 12 }),
      literalPath,
      fc.constantFrom('GET', 'POST'),
      (keys, path, m) => {
        const t = table([...keys, '$default']);
        const chosen = t.match(m, path)!;
        const candidates = keys.filter((k) => table([k]).match(m, path) !== undefined);
        if (candidates.length === 0) return assert.equal(chosen.routeKey, '$default');
        assert.ok(candidates.includes(chosen.routeKey));
        if (candidates.some((k) => !k.endsWith('+}')))
          assert.ok(!chosen.routeKey.endsWith('+}'), `${chosen.routeKey} over ${candidates.join(',')}`);
      },
    ),
  );
});

test('property: an explicit method beats ANY for the same path pattern', () => {
  fc.assert(
    fc.property(routeKey, literalPath, (key, path) => {
      const pattern = key.slice(key.indexOf(' ') + 1);
      const t = table([`ANY ${pattern}`, `GET ${pattern}`]);
      const match = t.match('GET', path);
      if (match) assert.equal(match.routeKey, `GET ${pattern}`);
    }),
  );
});
