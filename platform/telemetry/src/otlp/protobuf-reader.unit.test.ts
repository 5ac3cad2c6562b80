import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtobufReader, WireType } from './protobuf-reader.ts';
import { assertDecodeError } from './test/assertions.ts';
import { bytes, concat, double, fixed32, fixed64, message, string, tag, varint, varintBytes } from './test/protobuf-writer.ts';

function reader(...parts: (Uint8Array | number[])[]): ProtobufReader {
  return new ProtobufReader(concat(...parts));
}

test('varints of one to ten bytes read as uint32, int32, int64, uint64 and bool', () => {
  for (const value of [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 28 - 1, 2 ** 28, 2 ** 31, 2 ** 32 - 1]) {
    assert.equal(reader(varintBytes(value)).uint32(), value, `uint32 ${value}`);
  }
  for (const value of [0, 1, -1, -42, 2 ** 31 - 1, -(2 ** 31)]) {
    assert.equal(reader(varintBytes(value)).int32(), value, `int32 ${value}`);
  }
  assert.equal(varintBytes(-1).length, 10);
  for (const value of [
    0n,
    1n,
    -1n,
    -42n,
    2n ** 32n,
    2n ** 53n - 1n,
    -(2n ** 53n) + 1n,
    2n ** 53n + 1n,
    2n ** 63n - 1n,
    -(2n ** 63n),
  ]) {
    assert.equal(reader(varintBytes(value)).int64(), Number(value), `int64 ${value}`);
  }
  assert.equal(reader(varintBytes(2n ** 64n - 1n)).uint64(), 2n ** 64n - 1n);
  assert.equal(reader(varintBytes(1_700_000_000_123_456_789n)).uint64(), 1_700_000_000_123_456_789n);
  assert.equal(reader([0]).bool(), false);
  assert.equal(reader(varintBytes(2n ** 40n)).bool(), true);
  // A uint32 keeps the low 32 bits of a longer value, as protobuf does.
  assert.equal(reader(varintBytes(2n ** 32n + 5n)).uint32(), 5);
});

test('fixed32, fixed64 and double read little-endian, also from a view into a larger buffer', () => {
  const body = concat([0xaa, 0xbb, 0xcc], fixed32(1, 0xdeadbeef), fixed64(2, 2n ** 64n - 2n), double(3, -1.25));
  const r = new ProtobufReader(body.subarray(3));
  assert.equal(r.tag(), (1 << 3) | WireType.I32);
  assert.equal(r.fixed32(), 0xdeadbeef);
  assert.equal(r.tag(), (2 << 3) | WireType.I64);
  assert.equal(r.fixed64(), 2n ** 64n - 2n);
  assert.equal(r.tag(), (3 << 3) | WireType.I64);
  assert.equal(r.double(), -1.25);
  assert.equal(r.more(), false);
});

test('bytes are a view into the buffer; hex and base64 come straight from it', () => {
  const body = concat(bytes(1, [1, 2, 3]), bytes(2, [0xab, 0x0c]), bytes(3, [0xfb, 0xff]));
  for (const input of [body, Buffer.from(body)]) {
    const r = new ProtobufReader(input);
    r.tag();
    const view = r.bytes();
    assert.deepEqual([...view], [1, 2, 3]);
    assert.equal(view.buffer, input.buffer);
    r.tag();
    assert.equal(r.hex(), 'ab0c');
    r.tag();
    assert.equal(r.base64(), '+/8=');
  }
});

test('strings are UTF-8, short or long, a leading U+FEFF kept, invalid bytes as U+FFFD, cut to maxBytes on request', () => {
  const texts = ['', 'ascii only', 'x'.repeat(100), '\ufeffzürich ✓ 𝄞', `${'€'.repeat(20)}`];
  const r = reader(
    ...texts.map((text) => string(1, text)),
    bytes(2, [0x61, 0xff, 0x62]),
    string(3, 'abcdefgh'),
    string(4, 'é'.repeat(20)),
  );
  for (const text of texts) {
    r.tag();
    assert.equal(r.string(), text);
  }
  r.tag();
  assert.equal(r.string(), 'a\ufffdb');
  r.tag();
  assert.equal(r.string(3), 'abc');
  r.tag();
  // A cut inside a code point leaves a U+FFFD, which the caller cuts off.
  assert.equal(r.string(5), 'éé\ufffd');
  assert.equal(r.more(), false);
});

test('skip() passes over every wire type and refuses groups and wire types 6 and 7', () => {
  const r = reader(varint(1, 2n ** 63n), fixed64(2, 1n), string(3, 'skipped'), fixed32(4, 1), varint(5, 42));
  for (let i = 0; i < 4; i++) r.skip(r.tag() & 7);
  assert.equal(r.tag() >>> 3, 5);
  assert.equal(r.uint32(), 42);
  assertDecodeError(() => reader(tag(1, 3), [0]).skip(3), /group \(wire type 3\).*not supported/);
  assertDecodeError(() => reader(tag(1, 4)).skip(4), /group \(wire type 4\)/);
  assertDecodeError(() => reader([0]).skip(6), /invalid wire type 6/);
  assertDecodeError(() => reader([0]).skip(7), /invalid wire type 7/);
});

test('a malformed varint is refused: truncated, longer than ten bytes, over 64 bits', () => {
  assertDecodeError(() => reader([0x80, 0x80]).uint32(), /truncated: varint at byte 0/);
  assertDecodeError(() => reader([]).uint32(), /truncated: varint at byte 0/);
  assertDecodeError(() => reader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).int64(), /truncated/);
  const eleven = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00];
  assertDecodeError(() => reader(eleven).uint64(), /varint longer than 10 bytes or over 64 bits at byte 0/);
  const overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
  assertDecodeError(() => reader(overflow).int64(), /over 64 bits/);
});

test('a tag must name a field above 0 that fits 32 bits', () => {
  assertDecodeError(() => reader([0x02]).tag(), /invalid field tag at byte 0/);
  assertDecodeError(() => reader(varintBytes(2n ** 35n)).tag(), /invalid field tag/);
});

test('no read runs past the end of the buffer', () => {
  assertDecodeError(() => reader([1, 2, 3]).fixed32(), /truncated: 4 bytes needed at byte 0, 3 left/);
  assertDecodeError(() => reader([1, 2, 3, 4, 5, 6, 7]).fixed64(), /truncated: 8 bytes needed/);
  assertDecodeError(() => reader([1, 2]).double(), /truncated/);
  assertDecodeError(() => reader([5, 1, 2]).bytes(), /truncated: length at byte 0 runs past the end/);
  assertDecodeError(() => reader(varintBytes(2n ** 40n)).bytes(), /truncated: length/);
  assertDecodeError(() => reader([0x80]).string(), /truncated/);
});

test('no read runs past the end of the embedded message it is in', () => {
  // An embedded message of 3 bytes whose string field claims 5, with bytes to spare after it.
  const r = reader(bytes(1, [0x0a, 0x05, 0x61]), [0x62, 0x63, 0x64, 0x65]);
  r.tag();
  r.enter();
  assert.equal(r.limit, 5);
  r.tag();
  assertDecodeError(() => r.string(), /truncated: length at byte 3 runs past the end of the message/);

  const r2 = reader(message(1, fixed32(1, 7)), [0x01]);
  r2.tag();
  const outer2 = r2.enter();
  assertDecodeError(() => r2.leave(outer2), /embedded message not read to its end at byte 2/);
  r2.tag();
  assert.equal(r2.fixed32(), 7);
  assert.equal(r2.more(), false);
  r2.leave(outer2);
  assert.equal(r2.limit, 8);
  assert.equal(r2.more(), true);
});
