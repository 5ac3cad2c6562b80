// Compares two plain nodes (keyword assertions, no combinators): the types
// they allow, enum/const values, string and number constraints, then objects
// and arrays, and keywords the comparison does not model.

import { compareArrays } from './array-diff.ts';
import type { DiffContext } from './diff-context.ts';
import { show } from './differences.ts';
import { compareObjects } from './object-diff.ts';
import { canonicalJson, has, sameJson, type JsonObject } from './schema-nodes.ts';
import { compareNumbers } from './number-diff.ts';

type Types = ReadonlySet<string> | undefined;

/** Keywords recognised but not modelled: any change to them cannot be proven compatible. */
const UNCHECKED = [
  'propertyNames',
  'unevaluatedProperties',
  'contains',
  'minContains',
  'maxContains',
  'unevaluatedItems',
  'if',
  'then',
  'else',
  '$dynamicRef',
  '$recursiveRef',
];

export function comparePlain(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  const writerTypes = effectiveTypes(writer);
  const readerTypes = declaredTypes(reader);
  // A writer whose type and enum contradict each other produces nothing: nothing to read.
  if (writerTypes && writerTypes.size === 0) return;
  compareTypes(ctx, writerTypes, readerTypes);
  compareValues(ctx, writer, reader);
  const both = (type: string) => mayBe(writerTypes, type) && mayBe(readerTypes, type);
  if (both('string')) compareStrings(ctx, writer, reader);
  if (both('number')) compareNumbers(ctx, writer, reader);
  if (both('object')) compareObjects(ctx, writer, reader);
  if (both('array')) compareArrays(ctx, writer, reader);
  for (const keyword of UNCHECKED) {
    if (!has(reader, keyword)) continue; // dropping an assertion only widens what the reader accepts
    if (!has(writer, keyword))
      ctx.add('UNCHECKED_KEYWORD_ADDED', `{reader} adds "${keyword}", which this registry cannot prove compatible`, keyword);
    else if (!sameJson(writer[keyword], reader[keyword]))
      ctx.add('UNCHECKED_KEYWORD_CHANGED', `"${keyword}" changed, which this registry cannot prove compatible`, keyword);
  }
}

function declaredTypes(node: JsonObject): Types {
  const type = node.type;
  if (typeof type === 'string') return new Set([type]);
  if (Array.isArray(type)) return new Set(type.filter((t): t is string => typeof t === 'string'));
  return undefined;
}

/** The types a writer can actually produce: its declared types, narrowed by its enum or const. */
function effectiveTypes(node: JsonObject): Types {
  const declared = declaredTypes(node);
  const values = allowedValues(node);
  if (!values) return declared;
  const fromValues = new Set(values.map(typeOfValue));
  if (!declared) return fromValues;
  return new Set([...fromValues].filter((t) => declared.has(t) || (t === 'integer' && declared.has('number'))));
}

function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Whether a value of `type` may pass the type check (no type = any type; integers are numbers). */
function mayBe(types: Types, type: string): boolean {
  return !types || types.has(type) || (type === 'number' && types.has('integer')) || (type === 'integer' && types.has('number'));
}

function covers(reader: ReadonlySet<string>, type: string): boolean {
  return reader.has(type) || (type === 'integer' && reader.has('number'));
}

function compareTypes(ctx: DiffContext, writer: Types, reader: Types): void {
  if (!reader) {
    if (writer) ctx.add('TYPE_EXTENDED', `{reader} accepts any type where {writer} allows ${list(writer)}`);
    return;
  }
  if (!writer) return ctx.add('TYPE_NARROWED', `{writer} allows any type here but {reader} only ${list(reader)}`);
  const uncovered = [...writer].filter((t) => !covers(reader, t));
  if (uncovered.length === 0) {
    if (!sameTypes(writer, reader))
      ctx.add('TYPE_EXTENDED', `{reader} accepts ${list(reader)} where {writer} allows ${list(writer)}`);
    return;
  }
  const partly = uncovered.length < writer.size || (uncovered.includes('number') && reader.has('integer'));
  ctx.add(
    partly ? 'TYPE_NARROWED' : 'TYPE_CHANGED',
    partly
      ? `{writer} allows ${list(writer)} but {reader} only ${list(reader)}`
      : `the type changed from ${list(writer)} in {writer} to ${list(reader)} in {reader}`,
  );
}

function sameTypes(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((t) => b.has(t));
}

function list(types: ReadonlySet<string>): string {
  return [...types].join('|');
}

/** The values an enum and/or const allow (both present: their intersection). */
function allowedValues(node: JsonObject): unknown[] | undefined {
  const fromEnum = Array.isArray(node.enum) && has(node, 'enum') ? (node.enum as unknown[]) : undefined;
  const fromConst = has(node, 'const') ? [node.const] : undefined;
  if (fromEnum && fromConst) return fromEnum.filter((v) => sameJson(v, node.const));
  return fromEnum ?? fromConst;
}

function compareValues(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  const readerValues = allowedValues(reader);
  if (!readerValues) return; // dropping an enum or const only widens what the reader accepts
  const keyword = has(reader, 'enum') ? 'enum' : 'const';
  const writerValues = allowedValues(writer);
  if (!writerValues) {
    return ctx.add(
      'ENUM_ARRAY_NARROWED',
      `{reader} only accepts ${show(readerValues)} where {writer} allows any value of its type`,
      keyword,
    );
  }
  const readerKeys = new Set(readerValues.map(canonicalJson));
  const writerKeys = new Set(writerValues.map(canonicalJson));
  const missing = writerValues.filter((v) => !readerKeys.has(canonicalJson(v)));
  const added = readerValues.filter((v) => !writerKeys.has(canonicalJson(v)));
  if (missing.length === 0) {
    if (added.length > 0) ctx.add('ENUM_ARRAY_EXTENDED', `{reader} also accepts ${show(added)}`, keyword);
    return;
  }
  ctx.add(
    added.length === 0 ? 'ENUM_ARRAY_NARROWED' : 'ENUM_ARRAY_CHANGED',
    `{reader} no longer accepts ${show(missing)}, which {writer} allows`,
    keyword,
  );
}

function compareStrings(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  const wMax = numberOf(writer.maxLength);
  const rMax = numberOf(reader.maxLength);
  if (rMax !== undefined && (wMax === undefined || rMax < wMax)) {
    ctx.add(
      wMax === undefined ? 'MAX_LENGTH_ADDED' : 'MAX_LENGTH_DECREASED',
      `{reader} allows at most ${rMax} characters, {writer} ${wMax ?? 'any number'}`,
      'maxLength',
    );
  } else if (wMax !== undefined && rMax !== wMax) {
    ctx.add(
      rMax === undefined ? 'MAX_LENGTH_REMOVED' : 'MAX_LENGTH_INCREASED',
      `maxLength ${wMax} → ${rMax ?? 'none'}`,
      'maxLength',
    );
  }
  // minLength 0 is no constraint at all.
  const wMin = numberOf(writer.minLength) || undefined;
  const rMin = numberOf(reader.minLength) || undefined;
  if (rMin !== undefined && (wMin === undefined || rMin > wMin)) {
    ctx.add(
      wMin === undefined ? 'MIN_LENGTH_ADDED' : 'MIN_LENGTH_INCREASED',
      `{reader} needs at least ${rMin} characters, {writer} ${wMin ?? 'none'}`,
      'minLength',
    );
  } else if (wMin !== undefined && rMin !== wMin) {
    ctx.add(
      rMin === undefined ? 'MIN_LENGTH_REMOVED' : 'MIN_LENGTH_DECREASED',
      `minLength ${wMin} → ${rMin ?? 'none'}`,
      'minLength',
    );
  }
  const wPattern = typeof writer.pattern === 'string' ? writer.pattern : undefined;
  const rPattern = typeof reader.pattern === 'string' ? reader.pattern : undefined;
  if (rPattern === wPattern) return;
  if (rPattern === undefined) return ctx.add('PATTERN_REMOVED', `{reader} dropped the pattern ${show(wPattern)}`, 'pattern');
  ctx.add(
    wPattern === undefined ? 'PATTERN_ADDED' : 'PATTERN_CHANGED',
    `{reader} requires the pattern ${show(rPattern)}${wPattern === undefined ? '' : ` instead of ${show(wPattern)}`}`,
    'pattern',
  );
}

export function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
