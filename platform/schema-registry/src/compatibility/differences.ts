// The differences a comparison finds between a writer's schema and a reader's
// schema, named after Confluent's JSON Schema difference types, and which of
// them are compatible (every value the writer may produce is still accepted).

/** Difference types that never break a reader (Confluent's COMPATIBLE_CHANGES, for the types emitted here). */
const ALWAYS_COMPATIBLE = new Set([
  'SCHEMA_REMOVED',
  'TYPE_EXTENDED',
  'MAX_LENGTH_INCREASED',
  'MAX_LENGTH_REMOVED',
  'MIN_LENGTH_DECREASED',
  'MIN_LENGTH_REMOVED',
  'PATTERN_REMOVED',
  'MAXIMUM_INCREASED',
  'MAXIMUM_REMOVED',
  'MINIMUM_DECREASED',
  'MINIMUM_REMOVED',
  'EXCLUSIVE_MAXIMUM_INCREASED',
  'EXCLUSIVE_MAXIMUM_REMOVED',
  'EXCLUSIVE_MINIMUM_DECREASED',
  'EXCLUSIVE_MINIMUM_REMOVED',
  'MULTIPLE_OF_REDUCED',
  'MULTIPLE_OF_REMOVED',
  'REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED',
  'REQUIRED_ATTRIBUTE_REMOVED',
  'DEPENDENCY_ARRAY_NARROWED',
  'DEPENDENCY_ARRAY_REMOVED',
  'DEPENDENCY_SCHEMA_REMOVED',
  'MAX_PROPERTIES_INCREASED',
  'MAX_PROPERTIES_REMOVED',
  'MIN_PROPERTIES_DECREASED',
  'MIN_PROPERTIES_REMOVED',
  'ADDITIONAL_PROPERTIES_ADDED',
  'ADDITIONAL_PROPERTIES_EXTENDED',
  'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
  'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'MAX_ITEMS_INCREASED',
  'MAX_ITEMS_REMOVED',
  'MIN_ITEMS_DECREASED',
  'MIN_ITEMS_REMOVED',
  'UNIQUE_ITEMS_REMOVED',
  'ADDITIONAL_ITEMS_ADDED',
  'ADDITIONAL_ITEMS_EXTENDED',
  'ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_TO_CLOSED_CONTENT_MODEL',
  'ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ENUM_ARRAY_EXTENDED',
  'SUM_TYPE_EXTENDED',
  'PRODUCT_TYPE_NARROWED',
  'NOT_TYPE_NARROWED',
]);

/**
 * Compatible only under the `lenient` open-content-model policy: a property
 * declared in the reader where the writer's model was open. Confluent refuses
 * these because an old writer *could* have put anything under that name, and
 * so does souk by default; souk producers register closed schemas, where
 * adding an optional property is compatible (README, "Open content models").
 */
const LENIENT_ONLY = new Set([
  'OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
  'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL',
]);

/** `confluent` (Confluent's exact rule, the default) or `lenient`; see LENIENT_ONLY. */
export type OpenContentModelPolicy = 'lenient' | 'confluent';

export const OPEN_CONTENT_MODEL_POLICIES: readonly OpenContentModelPolicy[] = ['lenient', 'confluent'];

export interface Difference {
  /** Confluent's difference type where one exists (souk adds UNCHECKED_KEYWORD_*, REFERENCE_UNRESOLVED, COMPARISON_TOO_COMPLEX). */
  readonly type: string;
  /** JSON pointer-like location in the schema, Confluent style: `#/properties/price/maximum`. */
  readonly path: string;
  /** What changed, with `{reader}` and `{writer}` standing for the schemas' names. */
  readonly detail: string;
}

export function isCompatibleDifference(type: string, policy: OpenContentModelPolicy): boolean {
  return ALWAYS_COMPATIBLE.has(type) || (policy === 'lenient' && LENIENT_ONLY.has(type));
}

/** Who reads and who wrote, as they appear in messages ("the new schema", "version 3"). */
export interface Roles {
  reader: string;
  writer: string;
}

/** `REQUIRED_ATTRIBUTE_ADDED at #/required/currency: the new schema requires "currency", ...` */
export function formatDifference(diff: Difference, roles: Roles): string {
  const detail = diff.detail.replaceAll('{reader}', roles.reader).replaceAll('{writer}', roles.writer);
  return `${diff.type} at ${diff.path}: ${detail}`;
}

/** A JSON value shown in a message, shortened so a huge enum does not flood it. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
