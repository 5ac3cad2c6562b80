// The field level of the protobuf trace decoder: attributes (KeyValue and AnyValue, nested), strings,
// ids, and the wire-type check every known field gets. decode-protobuf.ts walks the messages around them.

import type { AttributeValue, Attributes } from '../model.ts';
import type { FieldPath } from './field-path.ts';
import { MAX_STRING_LENGTH } from './limits.ts';
import { type ProtobufReader, WireType } from './protobuf-reader.ts';
import { addAttribute, capString, checkDepth, idError, setEntry } from './span-rules.ts';

const { VARINT, I64, LEN } = WireType;

// A code point is at most four bytes, so this many bytes hold more than MAX_STRING_LENGTH code units even
// with a broken code point at the cut: a longer string is decoded only this far, then capped.
const MAX_STRING_BYTES = MAX_STRING_LENGTH * 4 + 4;

/** Reads field values at the reader's position; errors name the field on the path the caller keeps. */
export class ProtobufValueReader {
  private readonly reader: ProtobufReader;
  private readonly path: FieldPath;
  /** Where the value of the KeyValue last read by `keyValue()` starts, or -1 when it had none. */
  private valueAt = -1;

  constructor(reader: ProtobufReader, path: FieldPath) {
    this.reader = reader;
    this.path = path;
  }

  /** One KeyValue of an attribute list; returns the list's new count (see addAttribute). */
  attribute(attributes: Attributes, count: number, index: number): number {
    this.path.enter('attributes', index);
    const key = this.keyValue();
    const value = this.value(1);
    this.path.leave();
    return addAttribute(attributes, count, key, value);
  }

  /**
   * Reads a KeyValue's key and notes where its value is (`value()` decodes it), so that a caller can skip
   * values it does not want, and a value sent before its key still counts.
   */
  keyValue(): string {
    const r = this.reader;
    const outer = r.enter();
    let key = '';
    this.valueAt = -1;
    while (r.more()) {
      const tag = r.tag();
      const field = tag >>> 3;
      if (field === 1) {
        this.expect(tag, LEN, 'key');
        key = this.string();
      } else if (field === 2) {
        this.expect(tag, LEN, 'value');
        this.valueAt = r.pos;
        r.skip(LEN);
      } else {
        r.skip(tag & 7);
      }
    }
    r.leave(outer);
    return key;
  }

  /** Decodes the value noted by the last `keyValue()` (null when it had none), at AnyValue depth `depth`. */
  value(depth: number): AttributeValue {
    if (this.valueAt < 0) return null;
    const r = this.reader;
    const resume = r.pos;
    r.pos = this.valueAt;
    this.path.enter('value');
    const value = this.anyValue(depth);
    this.path.leave();
    r.pos = resume;
    return value;
  }

  private anyValue(depth: number): AttributeValue {
    checkDepth(depth, this.path);
    const r = this.reader;
    const outer = r.enter();
    let value: AttributeValue = null;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1:
          this.expect(tag, LEN, 'stringValue');
          value = this.string();
          break;
        case 2:
          this.expect(tag, VARINT, 'boolValue');
          value = r.bool();
          break;
        case 3:
          this.expect(tag, VARINT, 'intValue');
          value = r.int64();
          break;
        case 4:
          this.expect(tag, I64, 'doubleValue');
          value = r.double();
          break;
        case 5:
          this.expect(tag, LEN, 'arrayValue');
          value = this.arrayValue(depth);
          break;
        case 6:
          this.expect(tag, LEN, 'kvlistValue');
          value = this.kvlistValue(depth);
          break;
        case 7:
          this.expect(tag, LEN, 'bytesValue');
          value = r.base64();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    r.leave(outer);
    return value;
  }

  private arrayValue(depth: number): AttributeValue[] {
    const r = this.reader;
    const outer = r.enter();
    const values: AttributeValue[] = [];
    this.path.enter('arrayValue');
    while (r.more()) {
      const tag = r.tag();
      if (tag >>> 3 === 1) {
        this.expect(tag, LEN, 'values');
        this.path.enter('values', values.length);
        values.push(this.anyValue(depth + 1));
        this.path.leave();
      } else {
        r.skip(tag & 7);
      }
    }
    this.path.leave();
    r.leave(outer);
    return values;
  }

  private kvlistValue(depth: number): { [key: string]: AttributeValue } {
    const r = this.reader;
    const outer = r.enter();
    const entries: { [key: string]: AttributeValue } = {};
    let index = 0;
    this.path.enter('kvlistValue');
    while (r.more()) {
      const tag = r.tag();
      if (tag >>> 3 === 1) {
        this.expect(tag, LEN, 'values');
        this.path.enter('values', index++);
        const key = this.keyValue();
        setEntry(entries, key, this.value(depth + 1));
        this.path.leave();
      } else {
        r.skip(tag & 7);
      }
    }
    this.path.leave();
    r.leave(outer);
    return entries;
  }

  /** A trace or span id: `digits / 2` bytes, or none; returned as lowercase hex for finishSpan to check. */
  id(tag: number, field: string, digits: 32 | 16): string {
    this.expect(tag, LEN, field);
    const hex = this.reader.hex();
    if (hex.length !== 0 && hex.length !== digits) idError(`${hex.length / 2} bytes`, digits, this.path, field);
    return hex;
  }

  string(): string {
    return capString(this.reader.string(MAX_STRING_BYTES));
  }

  /** A known field must come with its wire type; anything else is a different message, not this one. */
  expect(tag: number, wireType: number, field: string): void {
    const got = tag & 7;
    if (got !== wireType) this.path.fail(field, `(field ${tag >>> 3}) has wire type ${got}, expected ${wireType}`);
  }
}
