// Objects: required properties, properties added or removed under open,
// closed and partially open content models, additionalProperties,
// patternProperties, property counts and dependencies.

import { compilePattern } from '../patterns/safe-pattern.ts';
import type { DiffContext } from './diff-context.ts';
import { compareNodes } from './schema-diff.ts';
import { acceptsAnything, has, hasDefault, isObject, shapeOf, type JsonObject, type SchemaDocument } from './schema-nodes.ts';

/** How a node treats a property it does not declare. */
type Extra = { kind: 'open' } | { kind: 'closed' } | { kind: 'schema'; schema: unknown };

export function compareObjects(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  compareRequired(ctx, writer, reader);
  compareProperties(ctx, writer, reader);
  compareAdditionalProperties(ctx, writer, reader);
  comparePatternProperties(ctx, writer, reader);
  compareCount(ctx, 'MAX_PROPERTIES', numberOf(writer.maxProperties), numberOf(reader.maxProperties), +1, 'maxProperties');
  compareCount(
    ctx,
    'MIN_PROPERTIES',
    numberOf(writer.minProperties) || undefined,
    numberOf(reader.minProperties) || undefined,
    -1,
    'minProperties',
  );
  compareDependencies(ctx, writer, reader);
}

function properties(node: JsonObject): Map<string, unknown> {
  return new Map(isObject(node.properties) ? Object.entries(node.properties) : []);
}

function required(node: JsonObject): Set<string> {
  return new Set(Array.isArray(node.required) ? node.required.filter((k): k is string => typeof k === 'string') : []);
}

function compareRequired(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  const [wProps, rProps, wReq, rReq] = [properties(writer), properties(reader), required(writer), required(reader)];
  for (const key of rReq) {
    // A property new to the reader is judged with its content model, below.
    if (wReq.has(key) || (rProps.has(key) && !wProps.has(key))) continue;
    const withDefault = hasDefault(rProps.get(key), ctx.docs.reader);
    ctx.add(
      withDefault ? 'REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED' : 'REQUIRED_ATTRIBUTE_ADDED',
      `{reader} requires "${key}" but {writer} does not, so data written with {writer} may lack it`,
      'required',
      key,
    );
  }
  for (const key of wReq) {
    if (rReq.has(key) || (wProps.has(key) && !rProps.has(key))) continue;
    ctx.add('REQUIRED_ATTRIBUTE_REMOVED', `{reader} no longer requires "${key}"`, 'required', key);
  }
}

function compareProperties(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  const wProps = properties(writer);
  const rProps = properties(reader);
  const rReq = required(reader);
  const wReq = required(writer);
  for (const key of new Set([...rProps.keys(), ...wProps.keys()])) {
    const at = ctx.at('properties', key);
    if (wProps.has(key) && rProps.has(key)) {
      compareNodes(at, wProps.get(key), rProps.get(key));
    } else if (wProps.has(key)) {
      propertyRemoved(at, key, wProps.get(key), extraFor(reader, ctx.docs.reader, key));
    } else {
      const isRequired = rReq.has(key) && !wReq.has(key);
      propertyAdded(at, key, rProps.get(key), extraFor(writer, ctx.docs.writer, key), isRequired);
    }
  }
}

/** The writer declares `key`, the reader does not: its content model decides whether it still accepts it. */
function propertyRemoved(at: DiffContext, key: string, schema: unknown, extra: Extra): void {
  if (extra.kind === 'open') {
    return at.add(
      'PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL',
      `{reader} does not declare "${key}"; its open content model accepts it anyway`,
    );
  }
  if (extra.kind === 'schema') {
    const trial = at.trial();
    compareNodes(trial, schema, extra.schema);
    at.merge(trial);
    return trial.compatible
      ? at.add(
          'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
          `{reader} does not declare "${key}" but its additional-property schema accepts it`,
        )
      : at.add(
          'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
          `{reader} does not declare "${key}" and its additional-property schema does not accept every value {writer} allows for it`,
        );
  }
  if (shapeOf(schema, at.docs.writer).kind === 'never') {
    return at.add(
      'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
      `"${key}" was forbidden (false) in {writer}, so its data never holds it`,
    );
  }
  at.add(
    'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
    `{writer} has the property "${key}" but {reader} does not declare it and its closed content model (additionalProperties: false) refuses it`,
  );
}

/** The reader declares `key`, the writer does not: what could the writer have put there? */
function propertyAdded(at: DiffContext, key: string, schema: unknown, extra: Extra, isRequired: boolean): void {
  const withDefault = isRequired && hasDefault(schema, at.docs.reader);
  if (extra.kind === 'open') {
    if (acceptsAnything(schema, at.docs.reader)) {
      return at.add(
        'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
        `{reader} declares "${key}" without constraining it`,
      );
    }
    if (!isRequired) {
      return at.add(
        'OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
        `{reader} declares the optional property "${key}", which {writer} does not; {writer}'s content model is open, so its data could hold any value under that name`,
      );
    }
    return at.add(
      withDefault
        ? 'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL'
        : 'REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
      `{reader} requires the property "${key}", which {writer} does not declare, so data written with {writer} may lack it`,
    );
  }
  if (extra.kind === 'schema') {
    const trial = at.trial();
    compareNodes(trial, extra.schema, schema);
    at.merge(trial);
    if (trial.compatible)
      at.add(
        'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
        `{writer}'s additional-property schema already fits the new "${key}"`,
      );
    else
      at.add(
        'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
        `{writer} may have written "${key}" as an additional property with values {reader} refuses`,
      );
  }
  if (!isRequired)
    return at.add(
      'OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
      `{reader} declares the optional property "${key}", which {writer} never wrote`,
    );
  at.add(
    withDefault
      ? 'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL'
      : 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
    `{reader} requires the property "${key}"${withDefault ? ' (it has a default)' : ''}, which {writer} never wrote`,
  );
}

/** The schema a node applies to an undeclared property: matching patternProperties, else additionalProperties. */
function extraFor(node: JsonObject, doc: SchemaDocument, key: string): Extra {
  const matching = Object.entries(patternProperties(node))
    .filter(([pattern]) => matches(pattern, key))
    .map(([, s]) => s);
  if (matching.length > 0) return { kind: 'schema', schema: matching.length === 1 ? matching[0] : { allOf: matching } };
  const additional = node.additionalProperties;
  if (additional === false || (has(node, 'additionalProperties') && shapeOf(additional, doc).kind === 'never'))
    return { kind: 'closed' };
  if (additional === undefined || acceptsAnything(additional, doc)) return { kind: 'open' };
  return { kind: 'schema', schema: additional };
}

function patternProperties(node: JsonObject): JsonObject {
  return isObject(node.patternProperties) ? node.patternProperties : {};
}

function matches(pattern: string, key: string): boolean {
  try {
    return compilePattern(pattern, 'u').test(key);
  } catch {
    return false;
  }
}

function compareAdditionalProperties(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  const w = additional(writer, ctx.docs.writer);
  const r = additional(reader, ctx.docs.reader);
  const at = ctx.at('additionalProperties');
  if (w.kind === r.kind && w.kind !== 'schema') return;
  if (r.kind === 'closed')
    return at.add(
      'ADDITIONAL_PROPERTIES_REMOVED',
      '{reader} refuses additional properties (additionalProperties: false) but {writer} allows them',
    );
  if (w.kind === 'closed')
    return at.add('ADDITIONAL_PROPERTIES_ADDED', '{reader} accepts additional properties, {writer} did not write any');
  if (w.kind === 'open')
    return at.add('ADDITIONAL_PROPERTIES_NARROWED', '{reader} constrains additional properties that {writer} left unconstrained');
  if (r.kind === 'open') return at.add('ADDITIONAL_PROPERTIES_EXTENDED', '{reader} no longer constrains additional properties');
  compareNodes(at, (w as { schema: unknown }).schema, (r as { schema: unknown }).schema);
}

function additional(node: JsonObject, doc: SchemaDocument): Extra {
  const value = node.additionalProperties;
  if (value === undefined || !has(node, 'additionalProperties') || acceptsAnything(value, doc)) return { kind: 'open' };
  if (shapeOf(value, doc).kind === 'never') return { kind: 'closed' };
  return { kind: 'schema', schema: value };
}

function comparePatternProperties(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  const w = patternProperties(writer);
  const r = patternProperties(reader);
  for (const pattern of new Set([...Object.keys(r), ...Object.keys(w)])) {
    const at = ctx.at('patternProperties', pattern);
    if (has(w, pattern) && has(r, pattern)) {
      compareNodes(at, w[pattern], r[pattern]);
    } else if (has(r, pattern)) {
      // Harmless when the writer wrote no undeclared property at all.
      const writerClosed = Object.keys(w).length === 0 && additional(writer, ctx.docs.writer).kind === 'closed';
      if (!writerClosed)
        at.add(
          'UNCHECKED_KEYWORD_ADDED',
          `{reader} constrains properties matching ${JSON.stringify(pattern)}, which this registry cannot prove compatible`,
        );
    } else if (additional(reader, ctx.docs.reader).kind !== 'open') {
      at.add(
        'UNCHECKED_KEYWORD_CHANGED',
        `{reader} dropped the pattern property ${JSON.stringify(pattern)}, which this registry cannot prove compatible`,
      );
    }
  }
}

/** min/maxProperties and min/maxItems: sign +1 for a maximum (may grow), -1 for a minimum (may shrink). */
export function compareCount(
  ctx: DiffContext,
  name: string,
  writer: number | undefined,
  reader: number | undefined,
  sign: number,
  keyword: string,
): void {
  if (writer === reader) return;
  if (reader === undefined) return ctx.add(`${name}_REMOVED`, `{reader} dropped ${keyword} ${writer}`, keyword);
  if (writer === undefined)
    return ctx.add(`${name}_ADDED`, `{reader} adds ${keyword} ${reader}, which {writer} does not have`, keyword);
  const grew = reader > writer;
  const loosened = sign > 0 ? grew : !grew;
  ctx.add(
    `${name}_${grew ? 'INCREASED' : 'DECREASED'}`,
    loosened ? `${keyword} ${writer} → ${reader}` : `{reader} tightened ${keyword} from ${writer} to ${reader}`,
    keyword,
  );
}

function compareDependencies(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  const w = dependencies(writer);
  const r = dependencies(reader);
  for (const key of new Set([...r.arrays.keys(), ...w.arrays.keys()])) {
    const [wa, ra] = [w.arrays.get(key), r.arrays.get(key)];
    if (!ra) ctx.add('DEPENDENCY_ARRAY_REMOVED', `{reader} dropped the dependency of "${key}"`, 'dependencies', key);
    else if (!wa)
      ctx.add(
        'DEPENDENCY_ARRAY_ADDED',
        `{reader} requires ${JSON.stringify(ra)} whenever "${key}" is present`,
        'dependencies',
        key,
      );
    else if (ra.some((k) => !wa.includes(k))) {
      const type = wa.every((k) => ra.includes(k)) ? 'DEPENDENCY_ARRAY_EXTENDED' : 'DEPENDENCY_ARRAY_CHANGED';
      ctx.add(
        type,
        `{reader} requires ${JSON.stringify(ra)} whenever "${key}" is present, {writer} ${JSON.stringify(wa)}`,
        'dependencies',
        key,
      );
    } else if (wa.length !== ra.length)
      ctx.add('DEPENDENCY_ARRAY_NARROWED', `{reader} requires fewer properties with "${key}"`, 'dependencies', key);
  }
  for (const key of new Set([...r.schemas.keys(), ...w.schemas.keys()])) {
    if (!r.schemas.has(key))
      ctx.add('DEPENDENCY_SCHEMA_REMOVED', `{reader} dropped the dependent schema of "${key}"`, 'dependencies', key);
    else if (!w.schemas.has(key))
      ctx.add('DEPENDENCY_SCHEMA_ADDED', `{reader} adds a dependent schema for "${key}"`, 'dependencies', key);
    else compareNodes(ctx.at('dependencies', key), w.schemas.get(key), r.schemas.get(key));
  }
}

/** draft-07 `dependencies` and 2019-09's `dependentRequired` / `dependentSchemas`, merged. */
function dependencies(node: JsonObject): { arrays: Map<string, string[]>; schemas: Map<string, unknown> } {
  const arrays = new Map<string, string[]>();
  const schemas = new Map<string, unknown>();
  const sources = [node.dependencies, node.dependentRequired, node.dependentSchemas].filter(isObject);
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (Array.isArray(value))
        arrays.set(
          key,
          value.filter((v): v is string => typeof v === 'string'),
        );
      else schemas.set(key, value);
    }
  }
  return { arrays, schemas };
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
