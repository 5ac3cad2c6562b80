// Numeric constraints: bounds (inclusive or exclusive, draft-04 booleans too)
// and multipleOf. A reader may only loosen what the writer guaranteed.

import type { DiffContext } from './diff-context.ts';
import { has, type JsonObject } from './schema-nodes.ts';

interface Bound {
  value: number;
  exclusive: boolean;
  /** The keyword that sets it, for the path. */
  keyword: string;
}

export function compareNumbers(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  compareBound(ctx, 'MAXIMUM', upperBound(writer), upperBound(reader), +1);
  compareBound(ctx, 'MINIMUM', lowerBound(writer), lowerBound(reader), -1);
  compareMultipleOf(ctx, numeric(writer.multipleOf), numeric(reader.multipleOf));
}

/** The tighter of `maximum` and `exclusiveMaximum` (a boolean exclusiveMaximum is draft-04's form). */
function upperBound(node: JsonObject): Bound | undefined {
  return tighter(bounds(node, 'maximum', 'exclusiveMaximum'), +1);
}

function lowerBound(node: JsonObject): Bound | undefined {
  return tighter(bounds(node, 'minimum', 'exclusiveMinimum'), -1);
}

function bounds(node: JsonObject, inclusiveKey: string, exclusiveKey: string): Bound[] {
  const out: Bound[] = [];
  const inclusive = numeric(node[inclusiveKey]);
  const exclusive = node[exclusiveKey];
  if (inclusive !== undefined)
    out.push({ value: inclusive, exclusive: exclusive === true, keyword: exclusive === true ? exclusiveKey : inclusiveKey });
  const exclusiveValue = numeric(exclusive);
  if (exclusiveValue !== undefined && has(node, exclusiveKey))
    out.push({ value: exclusiveValue, exclusive: true, keyword: exclusiveKey });
  return out;
}

/** For an upper bound (sign +1) the smaller one wins; for a lower bound (-1) the larger. */
function tighter(candidates: Bound[], sign: number): Bound | undefined {
  return candidates.reduce<Bound | undefined>((best, b) => {
    if (!best) return b;
    if (b.value * sign < best.value * sign) return b;
    if (b.value === best.value && b.exclusive) return b;
    return best;
  }, undefined);
}

/**
 * The reader's bound must let through every value the writer's allows: for
 * a maximum, a larger value, or the same value no more exclusive.
 */
function compareBound(
  ctx: DiffContext,
  name: 'MAXIMUM' | 'MINIMUM',
  writer: Bound | undefined,
  reader: Bound | undefined,
  sign: number,
): void {
  if (!writer && !reader) return;
  const word = name === 'MAXIMUM' ? 'maximum' : 'minimum';
  const prefix = (b: Bound) => (b.exclusive ? `EXCLUSIVE_${name}` : name);
  if (!reader) return ctx.add(`${prefix(writer!)}_REMOVED`, `{reader} dropped the ${word} ${describe(writer!)}`, writer!.keyword);
  if (!writer)
    return ctx.add(
      `${prefix(reader)}_ADDED`,
      `{reader} adds the ${word} ${describe(reader)}, which {writer} does not have`,
      reader.keyword,
    );
  const looser =
    reader.value * sign > writer.value * sign || (reader.value === writer.value && (!reader.exclusive || writer.exclusive));
  if (reader.value === writer.value && reader.exclusive === writer.exclusive) return;
  const loosened = sign > 0 ? 'INCREASED' : 'DECREASED';
  const tightened = sign > 0 ? 'DECREASED' : 'INCREASED';
  ctx.add(
    `${prefix(reader)}_${looser ? loosened : tightened}`,
    `the ${word} changed from ${describe(writer)} in {writer} to ${describe(reader)} in {reader}`,
    reader.keyword,
  );
}

function describe(bound: Bound): string {
  return `${bound.value}${bound.exclusive ? ' (exclusive)' : ''}`;
}

function compareMultipleOf(ctx: DiffContext, writer: number | undefined, reader: number | undefined): void {
  if (writer === reader) return;
  if (reader === undefined) return ctx.add('MULTIPLE_OF_REMOVED', `{reader} dropped multipleOf ${writer}`, 'multipleOf');
  if (writer === undefined)
    return ctx.add('MULTIPLE_OF_ADDED', `{reader} requires multiples of ${reader}, {writer} does not`, 'multipleOf');
  // Every multiple of the writer's step is a multiple of the reader's when the reader's divides it.
  if (isWholeMultiple(writer, reader)) return ctx.add('MULTIPLE_OF_REDUCED', `multipleOf ${writer} → ${reader}`, 'multipleOf');
  ctx.add(
    isWholeMultiple(reader, writer) ? 'MULTIPLE_OF_EXPANDED' : 'MULTIPLE_OF_CHANGED',
    `{reader} requires multiples of ${reader} but {writer} allows multiples of ${writer}`,
    'multipleOf',
  );
}

function isWholeMultiple(value: number, step: number): boolean {
  const ratio = value / step;
  return Math.abs(ratio - Math.round(ratio)) < 1e-9;
}

function numeric(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
