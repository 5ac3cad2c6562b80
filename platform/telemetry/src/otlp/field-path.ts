// Where a decoder is in the request, kept as a stack of names and indices so that an error can name
// the field (`resourceSpans[0].scopeSpans[1].spans[3].traceId`) without building strings for every span.

import { OtlpDecodeError } from './errors.ts';

export class FieldPath {
  private readonly names: string[] = [];
  /** The index within `names[i]` when it is a repeated field, else -1. */
  private readonly indices: number[] = [];

  /** Steps into a field, or into one element of a repeated field. */
  enter(name: string, index = -1): void {
    this.names.push(name);
    this.indices.push(index);
  }

  /** Steps back out of the last `enter()`. */
  leave(): void {
    this.names.pop();
    this.indices.pop();
  }

  /** The path, with `field` below it when given; `body` at the top. */
  toString(field?: string): string {
    let text = '';
    for (let i = 0; i < this.names.length; i++) {
      text += (i === 0 ? '' : '.') + this.names[i];
      const index = this.indices[i]!;
      if (index >= 0) text += `[${index}]`;
    }
    if (field !== undefined) text += (text === '' ? '' : '.') + field;
    return text === '' ? 'body' : text;
  }

  /** Throws an OtlpDecodeError for `field` (or the current position): `<path> <problem>`. */
  fail(field: string | undefined, problem: string): never {
    const where = this.toString(field);
    throw new OtlpDecodeError(`${where} ${problem}`, where);
  }
}
