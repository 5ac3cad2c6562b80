// Reads raw JSON Schema nodes for the comparison: follows local `$ref`s,
// separates assertions from annotations, and sorts a node into a shape (any,
// never, a combination, a negation, or a plain set of keyword assertions).

/** One schema document, with the subschemas its `$ref`s may name by `$id` or `$anchor`. */
export interface SchemaDocument {
  readonly root: unknown;
  readonly ids: ReadonlyMap<string, unknown>;
}

export type JsonObject = Record<string, unknown>;

export type Shape =
  | { kind: 'any' }
  | { kind: 'never' }
  | { kind: 'unresolved'; ref: string }
  | { kind: 'combined'; criterion: Criterion; branches: readonly unknown[]; node: object; synthetic: boolean }
  | { kind: 'not'; negated: unknown; node: object }
  | { kind: 'plain'; node: JsonObject };

export type Criterion = 'anyOf' | 'oneOf' | 'allOf';

/**
 * Assertion keywords the comparison understands or at least recognises.
 * Everything else either never constrains data (title, description, default,
 * examples, format, $id, definitions, ...) or is unknown to JSON Schema, which
 * validators ignore (ajv runs with strict: false): the comparison ignores both.
 */
const ASSERTIONS = new Set([
  'type',
  'enum',
  'const',
  'maxLength',
  'minLength',
  'pattern',
  'maximum',
  'minimum',
  'exclusiveMaximum',
  'exclusiveMinimum',
  'multipleOf',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'minProperties',
  'maxProperties',
  'dependencies',
  'dependentRequired',
  'dependentSchemas',
  'propertyNames',
  'unevaluatedProperties',
  'items',
  'additionalItems',
  'prefixItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'contains',
  'minContains',
  'maxContains',
  'unevaluatedItems',
  'if',
  'then',
  'else',
  '$dynamicRef',
  '$recursiveRef',
]);

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function has(node: JsonObject, key: string): boolean {
  return Object.hasOwn(node, key);
}

/** Indexes the `$id`s and `$anchor`s of a document so that `$ref: "Item"` or `"#item"` resolve. */
export function loadDocument(root: unknown): SchemaDocument {
  const ids = new Map<string, unknown>();
  const walk = (node: unknown, depth: number): void => {
    if (depth > 64 || typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) return node.forEach((n) => walk(n, depth + 1));
    const obj = node as JsonObject;
    for (const key of ['$id', 'id', '$anchor']) {
      const value = obj[key];
      if (typeof value === 'string' && has(obj, key) && !ids.has(value)) {
        ids.set(value, obj);
        if (key === '$anchor') ids.set(`#${value}`, obj);
      }
    }
    for (const child of Object.values(obj)) walk(child, depth + 1);
  };
  walk(root, 0);
  return { root, ids };
}

/** Resolves a `$ref` inside its own document: `#`, `#/json/pointer`, a known `$id`, optionally with a pointer. */
export function resolveRef(doc: SchemaDocument, ref: string): unknown {
  if (doc.ids.has(ref)) return doc.ids.get(ref);
  const hash = ref.indexOf('#');
  const base = hash === -1 ? ref : ref.slice(0, hash);
  const fragment = hash === -1 ? '' : ref.slice(hash + 1);
  let node: unknown;
  if (base === '') node = doc.root;
  else if (doc.ids.has(base)) node = doc.ids.get(base);
  else return undefined;
  if (fragment === '') return node;
  if (!fragment.startsWith('/')) return doc.ids.get(`#${fragment}`);
  for (const raw of fragment.slice(1).split('/')) {
    const segment = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isObject(node) && has(node, segment)) node = node[segment];
    else return undefined;
  }
  return node;
}

/**
 * Sorts a node into its shape. A node mixing assertions with allOf/anyOf/oneOf/
 * not/$ref is the conjunction of those parts (as everit, behind Confluent, reads
 * it), marked synthetic so paths do not name an allOf the author never wrote.
 * A plain node is returned as itself, so recursive schemas meet the same
 * objects again and the comparison can recognise the cycle.
 */
export function shapeOf(node: unknown, doc: SchemaDocument, seen: Set<unknown> = new Set()): Shape {
  if (node === true) return { kind: 'any' };
  if (node === false) return { kind: 'never' };
  if (!isObject(node)) return { kind: 'any' };
  const assertions = Object.keys(node).filter((k) => ASSERTIONS.has(k));
  const parts: Array<{ tag: 'plain' | 'ref' | 'not' | Criterion; value: unknown }> = [];
  if (assertions.length > 0) parts.push({ tag: 'plain', value: Object.fromEntries(assertions.map((k) => [k, node[k]])) });
  if (typeof node.$ref === 'string' && has(node, '$ref')) {
    const target = resolveRef(doc, node.$ref);
    if (target === undefined) return { kind: 'unresolved', ref: node.$ref };
    // A chain of references that loops back without an assertion constrains nothing.
    if (!seen.has(target)) {
      seen.add(target);
      parts.push({ tag: 'ref', value: target });
    }
  }
  if (has(node, 'not')) parts.push({ tag: 'not', value: node.not });
  for (const criterion of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(node[criterion]) && has(node, criterion)) parts.push({ tag: criterion, value: node[criterion] });
  }
  if (parts.length === 0) return { kind: 'any' };
  if (parts.length > 1) {
    const branches = parts.map((p) => (p.tag === 'plain' || p.tag === 'ref' ? p.value : { [p.tag]: p.value }));
    return { kind: 'combined', criterion: 'allOf', branches, node, synthetic: true };
  }
  const only = parts[0]!;
  switch (only.tag) {
    case 'plain':
      return { kind: 'plain', node };
    case 'ref':
      return shapeOf(only.value, doc, seen);
    case 'not':
      return { kind: 'not', negated: only.value, node };
    default:
      return { kind: 'combined', criterion: only.tag, branches: only.value as unknown[], node, synthetic: false };
  }
}

/** True for a schema that accepts every value (`true`, `{}`, only annotations). */
export function acceptsAnything(node: unknown, doc: SchemaDocument): boolean {
  return shapeOf(node, doc).kind === 'any';
}

/** The schema behind `$ref`s, for reading annotations such as `default`. */
export function dereference(node: unknown, doc: SchemaDocument): unknown {
  const seen = new Set<unknown>();
  while (isObject(node) && typeof node.$ref === 'string' && !seen.has(node)) {
    seen.add(node);
    const target = resolveRef(doc, node.$ref);
    if (target === undefined) return node;
    node = target;
  }
  return node;
}

export function hasDefault(node: unknown, doc: SchemaDocument): boolean {
  if (isObject(node) && has(node, 'default')) return true;
  const target = dereference(node, doc);
  return isObject(target) && has(target, 'default');
}

/** A canonical text of a JSON value (keys sorted), to compare enum values and keyword values. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
