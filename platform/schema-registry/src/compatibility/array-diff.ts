// Arrays: the item schema of a list, the positions of a tuple (draft-07
// `items: [...]` + `additionalItems`, or 2020-12 `prefixItems` + `items`),
// item counts and uniqueness.

import type { DiffContext } from './diff-context.ts';
import { compareCount } from './object-diff.ts';
import { compareNodes } from './schema-diff.ts';
import { acceptsAnything, has, shapeOf, type JsonObject, type SchemaDocument } from './schema-nodes.ts';

/** What a node accepts beyond its declared positions. */
type Rest = { kind: 'open' } | { kind: 'closed' } | { kind: 'schema'; schema: unknown };

interface ArrayModel {
  /** Schemas of the first positions (a tuple); empty for a list. */
  prefix: readonly unknown[];
  rest: Rest;
  /** The keyword that holds `rest`, for paths. */
  restKeyword: string;
  prefixKeyword: string;
}

export function compareArrays(ctx: DiffContext, writer: JsonObject, reader: JsonObject): void {
  const w = model(writer, ctx.docs.writer);
  const r = model(reader, ctx.docs.reader);
  const shared = Math.min(w.prefix.length, r.prefix.length);
  for (let i = 0; i < shared; i++) compareNodes(ctx.at(r.prefixKeyword, String(i)), w.prefix[i], r.prefix[i]);
  for (let i = shared; i < w.prefix.length; i++) itemRemoved(ctx.at(w.prefixKeyword, String(i)), i, w.prefix[i], r.rest);
  for (let i = shared; i < r.prefix.length; i++) itemAdded(ctx.at(r.prefixKeyword, String(i)), i, r.prefix[i], w.rest);
  compareRest(ctx.at(r.restKeyword), w, r);
  compareCount(ctx, 'MAX_ITEMS', count(writer.maxItems), count(reader.maxItems), +1, 'maxItems');
  compareCount(ctx, 'MIN_ITEMS', count(writer.minItems) || undefined, count(reader.minItems) || undefined, -1, 'minItems');
  const [wUnique, rUnique] = [writer.uniqueItems === true, reader.uniqueItems === true];
  if (wUnique && !rUnique) ctx.add('UNIQUE_ITEMS_REMOVED', '{reader} no longer requires unique items', 'uniqueItems');
  if (!wUnique && rUnique)
    ctx.add('UNIQUE_ITEMS_ADDED', '{reader} requires unique items but {writer} allows duplicates', 'uniqueItems');
}

function model(node: JsonObject, doc: SchemaDocument): ArrayModel {
  if (Array.isArray(node.prefixItems)) {
    return { prefix: node.prefixItems, rest: rest(node, 'items', doc), restKeyword: 'items', prefixKeyword: 'prefixItems' };
  }
  if (Array.isArray(node.items)) {
    return {
      prefix: node.items,
      rest: rest(node, 'additionalItems', doc),
      restKeyword: 'additionalItems',
      prefixKeyword: 'items',
    };
  }
  return { prefix: [], rest: rest(node, 'items', doc), restKeyword: 'items', prefixKeyword: 'items' };
}

function rest(node: JsonObject, keyword: string, doc: SchemaDocument): Rest {
  const value = node[keyword];
  if (!has(node, keyword) || acceptsAnything(value, doc)) return { kind: 'open' };
  if (shapeOf(value, doc).kind === 'never') return { kind: 'closed' };
  return { kind: 'schema', schema: value };
}

/** The writer declares position i, the reader does not: the reader's rest must accept it. */
function itemRemoved(at: DiffContext, i: number, schema: unknown, readerRest: Rest): void {
  if (readerRest.kind === 'open')
    return at.add('ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL', `{reader} no longer declares item ${i}; it accepts any value there`);
  if (readerRest.kind === 'schema') {
    const trial = at.trial();
    compareNodes(trial, schema, readerRest.schema);
    at.merge(trial);
    return trial.compatible
      ? at.add('ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', `{reader}'s schema for further items accepts item ${i}`)
      : at.add(
          'ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
          `{reader}'s schema for further items does not accept every item ${i} {writer} allows`,
        );
  }
  if (shapeOf(schema, at.docs.writer).kind === 'never')
    return at.add('ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL', `item ${i} was forbidden in {writer}`);
  at.add('ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL', `{writer} has item ${i} but {reader} accepts no item at that position`);
}

/** The reader declares position i, the writer did not: what could the writer have put there? */
function itemAdded(at: DiffContext, i: number, schema: unknown, writerRest: Rest): void {
  if (writerRest.kind === 'closed')
    return at.add('ITEM_ADDED_TO_CLOSED_CONTENT_MODEL', `{reader} declares item ${i}, which {writer} never wrote`);
  if (writerRest.kind === 'schema') {
    const trial = at.trial();
    compareNodes(trial, writerRest.schema, schema);
    at.merge(trial);
    return trial.compatible
      ? at.add(
          'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
          `{writer}'s schema for further items fits the new item ${i}`,
        )
      : at.add(
          'ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
          `{writer} may have written item ${i} with values {reader} refuses`,
        );
  }
  if (acceptsAnything(schema, at.docs.reader))
    return at.add('ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL', `{reader} declares item ${i} without constraining it`);
  at.add('ITEM_ADDED_TO_OPEN_CONTENT_MODEL', `{reader} constrains item ${i}, where {writer} allowed any value`);
}

/** The positions beyond every declared one: the list's item schema or the tuple's additional items. */
function compareRest(at: DiffContext, w: ArrayModel, r: ArrayModel): void {
  const [wr, rr] = [w.rest, r.rest];
  const list = w.prefix.length === 0 && r.prefix.length === 0;
  if (wr.kind === rr.kind && wr.kind !== 'schema') return;
  if (wr.kind === 'closed') return at.add('ADDITIONAL_ITEMS_ADDED', '{reader} accepts further items, {writer} wrote none');
  if (rr.kind === 'closed')
    return at.add('ADDITIONAL_ITEMS_REMOVED', '{reader} accepts no further items but {writer} allows them');
  if (wr.kind === 'open') {
    return at.add(
      list ? 'SCHEMA_ADDED' : 'ADDITIONAL_ITEMS_NARROWED',
      '{reader} constrains items that {writer} left unconstrained',
    );
  }
  if (rr.kind === 'open')
    return at.add(list ? 'SCHEMA_REMOVED' : 'ADDITIONAL_ITEMS_EXTENDED', '{reader} no longer constrains the items');
  compareNodes(at, (wr as { schema: unknown }).schema, (rr as { schema: unknown }).schema);
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}
