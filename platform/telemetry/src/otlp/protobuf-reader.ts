// A protobuf wire-format reader over one buffer, for the OTLP decoders: no schema, no copies, and no
// read past the end of the buffer or of the message being read; anything malformed is an OtlpDecodeError.
// Node only: it decodes text through Buffer.

import { OtlpDecodeError } from './errors.ts';

/** Protobuf wire types (groups, 3 and 4, are refused: proto3 has none). */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

const TWO_POW_32 = 4_294_967_296;

/**
 * Reads fields in order. `limit` is the end of the message being read: `enter()` moves it to the end of
 * an embedded message, `leave()` moves it back, so a field can never run past its own message. The body
 * is read as a Buffer (a Uint8Array is wrapped, not copied), whose native decoders make strings, hex and
 * base64 straight from it, without a view object per field.
 */
export class ProtobufReader {
  /** Offset of the next byte to read. */
  pos: number;
  /** End of the message being read (exclusive). */
  limit: number;
  private readonly buf: Buffer;
  private readonly view: DataView;
  /** High 32 bits of the last varint read by `varint()`. */
  private hi = 0;

  constructor(body: Uint8Array) {
    this.buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    this.pos = 0;
    this.limit = body.length;
  }

  /** True while the current message has bytes left. */
  more(): boolean {
    return this.pos < this.limit;
  }

  /** Reads a field's tag: field number in `tag >>> 3`, wire type in `tag & 7`. */
  tag(): number {
    const at = this.pos;
    const tag = this.varint();
    if (this.hi !== 0 || tag >>> 3 === 0) throw new OtlpDecodeError(`invalid field tag at byte ${at}`);
    return tag;
  }

  /** A varint's low 32 bits, unsigned (what protobuf's uint32 keeps of a longer value). */
  uint32(): number {
    return this.varint();
  }

  /** A varint as int32 (a negative one is sign-extended to ten bytes on the wire). */
  int32(): number {
    return this.varint() | 0;
  }

  /** An int64 varint as the nearest number: exact up to 2^53 in magnitude. */
  int64(): number {
    const lo = this.varint();
    // hi * 2^32 is exact, so the sum is rounded once, as Number(bigint) would round it.
    return (this.hi | 0) * TWO_POW_32 + lo;
  }

  /** A uint64 varint, exactly. */
  uint64(): bigint {
    const lo = this.varint();
    return (BigInt(this.hi) << 32n) | BigInt(lo);
  }

  bool(): boolean {
    return (this.varint() | this.hi) !== 0;
  }

  fixed32(): number {
    const at = this.take(4);
    return this.view.getUint32(at, true);
  }

  fixed64(): bigint {
    const at = this.take(8);
    return this.view.getBigUint64(at, true);
  }

  double(): number {
    const at = this.take(8);
    return this.view.getFloat64(at, true);
  }

  /** A length-delimited field's bytes: a view into the buffer, not a copy. */
  bytes(): Uint8Array {
    const length = this.length();
    const at = this.take(length);
    return this.buf.subarray(at, at + length);
  }

  /** A length-delimited field's bytes as lowercase hex. */
  hex(): string {
    const length = this.length();
    const at = this.take(length);
    return this.buf.toString('hex', at, at + length);
  }

  /** A length-delimited field's bytes as standard base64, padded. */
  base64(): string {
    const length = this.length();
    const at = this.take(length);
    return this.buf.toString('base64', at, at + length);
  }

  /**
   * A length-delimited field as UTF-8 text: invalid sequences become U+FFFD, a leading U+FEFF is kept.
   * With `maxBytes`, only that many of its bytes are decoded (the rest is skipped).
   */
  string(maxBytes = Infinity): string {
    const length = this.length();
    const start = this.take(length);
    const end = start + Math.min(length, maxBytes);
    // Short ASCII (most keys and names) is quicker to build here than through the native decoder.
    if (end - start <= 16) {
      const buf = this.buf;
      let text = '';
      for (let i = start; i < end; i++) {
        const byte = buf[i]!;
        if (byte >= 0x80) return buf.toString('utf8', start, end);
        text += String.fromCharCode(byte);
      }
      return text;
    }
    return this.buf.toString('utf8', start, end);
  }

  /**
   * Starts reading an embedded message (a length-delimited field): the limit becomes its end. Returns
   * the enclosing message's limit, to hand back to `leave()`.
   */
  enter(): number {
    const length = this.length();
    const outer = this.limit;
    this.limit = this.pos + length;
    return outer;
  }

  /** Ends an embedded message started by `enter()`, which must have been read to its end. */
  leave(outer: number): void {
    if (this.pos !== this.limit) throw new OtlpDecodeError(`embedded message not read to its end at byte ${this.pos}`);
    this.limit = outer;
  }

  /** Skips a field's value of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint();
        return;
      case WireType.I64:
        this.take(8);
        return;
      case WireType.LEN:
        this.take(this.length());
        return;
      case WireType.I32:
        this.take(4);
        return;
      case 3:
      case 4:
        throw new OtlpDecodeError(`group (wire type ${wireType}) at byte ${this.pos}: groups are not supported`);
      default:
        throw new OtlpDecodeError(`invalid wire type ${wireType} before byte ${this.pos}`);
    }
  }

  /** Reserves `count` bytes of the current message and returns where they start. */
  private take(count: number): number {
    const at = this.pos;
    if (count > this.limit - at) {
      throw new OtlpDecodeError(`truncated: ${count} bytes needed at byte ${at}, ${this.limit - at} left in the message`);
    }
    this.pos = at + count;
    return at;
  }

  /** A length prefix: a varint that fits the rest of the current message. */
  private length(): number {
    const at = this.pos;
    const length = this.varint();
    if (this.hi !== 0 || length > this.limit - this.pos) {
      throw new OtlpDecodeError(`truncated: length at byte ${at} runs past the end of the message`);
    }
    return length;
  }

  /** Reads a varint of up to ten bytes: returns its low 32 bits (unsigned) and leaves the high 32 in `hi`. */
  private varint(): number {
    const buf = this.buf;
    const limit = this.limit;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let byte: number;
    // Bytes 0-3 carry bits 0-27; one byte is the common case (tags, small lengths and enums).
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= limit) throw truncatedVarint(start);
      byte = buf[pos++]!;
      lo |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        this.hi = 0;
        return lo >>> 0;
      }
    }
    // Byte 4 carries bits 28-34: four to the low word, three to the high one.
    if (pos >= limit) throw truncatedVarint(start);
    byte = buf[pos++]!;
    lo |= (byte & 0x0f) << 28;
    let hi = (byte & 0x7f) >>> 4;
    // Bytes 5-9 carry bits 35-63; the tenth may only hold bit 63.
    for (let shift = 3; byte >= 0x80; shift += 7) {
      if (pos >= limit) throw truncatedVarint(start);
      byte = buf[pos++]!;
      if (shift === 31 && byte > 1) throw new OtlpDecodeError(`varint longer than 10 bytes or over 64 bits at byte ${start}`);
      hi |= (byte & 0x7f) << shift;
    }
    this.pos = pos;
    this.hi = hi >>> 0;
    return lo >>> 0;
  }
}

function truncatedVarint(at: number): OtlpDecodeError {
  return new OtlpDecodeError(`truncated: varint at byte ${at} runs past the end of the message`);
}
