// Builds protobuf bytes by hand for the tests: well-formed messages the SDK cannot produce (kvlist and
// bytes values, fields out of the usual order) and malformed ones. Each helper returns one field's bytes.

type Part = Uint8Array | readonly number[];

/** The bytes of an unsigned varint; a negative number is sign-extended to ten bytes, as int64 is. */
export function varintBytes(value: number | bigint): number[] {
  let rest = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(rest === 0n ? low : low | 0x80);
  } while (rest !== 0n);
  return out;
}

export function concat(...parts: Part[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

export function tag(field: number, wireType: number): number[] {
  return varintBytes(field * 8 + wireType);
}

export function varint(field: number, value: number | bigint): Uint8Array {
  return concat(tag(field, 0), varintBytes(value));
}

export function fixed64(field: number, value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  return concat(tag(field, 1), bytes);
}

export function double(field: number, value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return concat(tag(field, 1), bytes);
}

export function fixed32(field: number, value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return concat(tag(field, 5), bytes);
}

export function bytes(field: number, value: Part): Uint8Array {
  return concat(tag(field, 2), varintBytes(value.length), value);
}

export function string(field: number, value: string): Uint8Array {
  return bytes(field, new TextEncoder().encode(value));
}

export function hex(field: number, value: string): Uint8Array {
  return bytes(field, Buffer.from(value, 'hex'));
}

/** An embedded message: its fields, length-delimited. */
export function message(field: number, ...fields: Part[]): Uint8Array {
  return bytes(field, concat(...fields));
}
