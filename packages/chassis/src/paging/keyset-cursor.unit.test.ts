// The keyset paging cursor: round trips, and refuses anything it did not make.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKeysetCursor as decodeCursor, encodeKeysetCursor as encodeCursor } from './keyset-cursor.ts';

const position = { at: new Date('2025-03-01T10:20:30.456Z'), id: '0b0e6c1e-8f5c-4f3c-9a57-1d2f3e4a5b6c' };

test('a cursor decodes to the position it was made from, and is URL-safe', () => {
  const cursor = encodeCursor(position);
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor(cursor), position);
});

test('anything else is refused', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  for (const bad of [
    '',
    'not a cursor',
    '!!!',
    b64('hello'),
    b64(`2025-03-01T10:20:30.456Z|not-a-uuid`),
    b64(`2025-02-30T10:20:30.456Z|${position.id}`),
    b64(`yesterday|${position.id}`),
    b64(`2025-03-01T10:20:30.456Z|${position.id}|extra`),
    b64(`${position.id}`),
  ]) {
    assert.equal(decodeCursor(bad), undefined, bad);
  }
});

test("keysetBefore: no cursor is the first page; a foreign one is the service's own 400", async () => {
  const { keysetBefore } = await import('./keyset-cursor.ts');
  assert.equal(
    keysetBefore(undefined, () => new Error('unused')),
    undefined,
  );
  assert.deepEqual(
    keysetBefore(encodeCursor(position), () => new Error('unused')),
    position,
  );
  assert.throws(() => keysetBefore('tampered', (detail) => new Error(`400: ${detail}`)), /^Error: 400: before is not a cursor/);
});
