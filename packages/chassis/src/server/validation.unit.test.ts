import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type, type TSchema } from 'typebox';
import { FORM_BODY, mayHaveDefaults, parseFormBody, validatorCompiler, type FieldIssue } from './validation.ts';

function validate(schema: TSchema, httpPart: string, input: unknown): { value?: unknown; error?: FieldIssue[] } {
  const check = validatorCompiler({ schema, httpPart, method: 'GET', url: '/' }) as (v: unknown) => {
    value?: unknown;
    error?: FieldIssue[];
  };
  return check(input);
}

const Query = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  sort: Type.Optional(Type.Union([Type.Literal('price'), Type.Literal('-price'), Type.Literal('name')])),
  inStock: Type.Optional(Type.Boolean()),
});

test('query text is converted to the schema types, and defaults apply', () => {
  assert.deepEqual(validate(Query, 'querystring', { page: '3', inStock: 'true' }).value, { page: 3, inStock: true });
  assert.deepEqual(validate(Query, 'querystring', {}).value, { page: 1 });
});

test('text that is not exactly an integer is refused, not truncated', () => {
  for (const page of ['1.5', '0x10', '1e3', ' 2', '']) {
    const { error } = validate(Query, 'querystring', { page });
    assert.deepEqual(error, [{ instancePath: '/page', message: 'must be integer' }], page);
  }
});

test('a value outside a union of literals names the allowed values once', () => {
  const { error } = validate(Query, 'querystring', { sort: 'bogus' });
  assert.deepEqual(error, [{ instancePath: '/sort', message: 'must be one of price, -price, name' }]);
});

test('bodies are strict: no coercion, missing and unknown fields named', () => {
  const Body = Type.Object({ name: Type.String(), qty: Type.Integer() }, { additionalProperties: false });
  const byPath = (issues: FieldIssue[] = []) => [...issues].sort((a, b) => a.instancePath.localeCompare(b.instancePath));
  assert.deepEqual(byPath(validate(Body, 'body', { name: 5, qty: '2', admin: true }).error), [
    { instancePath: '/admin', message: 'is not allowed here' },
    { instancePath: '/name', message: 'must be string' },
    { instancePath: '/qty', message: 'must be integer' },
  ]);
  assert.deepEqual(byPath(validate(Body, 'body', {}).error), [
    { instancePath: '/name', message: 'is required' },
    { instancePath: '/qty', message: 'is required' },
  ]);
});

test('form bodies are text: converted like a query, repeated names refused', () => {
  const Form = Type.Object({ grant_type: Type.String(), n: Type.Optional(Type.Integer()) });
  assert.deepEqual(validate(Form, 'body', parseFormBody('grant_type=password&n=4')).value, { grant_type: 'password', n: 4 });
  const { error } = validate(Form, 'body', parseFormBody('grant_type=password&grant_type=refresh_token'));
  assert.deepEqual(error, [{ instancePath: '/grant_type', message: 'must be string' }]);
});

test('a malformed id says it must be a UUID instead of quoting the regular expression', () => {
  const Params = Type.Object({
    id: Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' }),
  });
  const issues = validate(Params, 'params', { id: 'not-an-id' }).error!;
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.instancePath, '/id');
  assert.match(issues[0]!.message, /^must be a UUID/);
});

test('defaults apply where a schema has them; a schema without any leaves the body as sent', () => {
  const WithDefault = Type.Object({ q: Type.Integer({ default: 1 }), s: Type.Optional(Type.String()) });
  const Plain = Type.Object(
    { productId: Type.String(), quantity: Type.Optional(Type.Integer()) },
    { additionalProperties: false },
  );
  assert.equal(mayHaveDefaults(WithDefault), true);
  assert.equal(mayHaveDefaults(Plain), false);
  assert.deepEqual(validate(WithDefault, 'body', {}).value, { q: 1 });
  assert.deepEqual(validate(WithDefault, 'querystring', {}).value, { q: 1 });
  const body = { productId: 'p' };
  assert.deepEqual(validate(Plain, 'body', body).value, { productId: 'p' });
  // Text (query, form) is converted on a copy either way: Fastify's object keeps what was sent.
  const query = { productId: 'p', quantity: '3' };
  assert.deepEqual(validate(Plain, 'querystring', query).value, { productId: 'p', quantity: 3 });
  assert.deepEqual(query, { productId: 'p', quantity: '3' });
  const form = parseFormBody('productId=p&quantity=2');
  const { value } = validate(Plain, 'body', form);
  assert.deepEqual(value, { productId: 'p', quantity: 2 });
  assert.equal(FORM_BODY in (value as object), false, 'the copy drops the form marker');
});
