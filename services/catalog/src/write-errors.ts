// What a failed write means for the caller, read from the PostgreSQL error's
// SQLSTATE and constraint name. Shared by the product and category stores so
// both turn the same database failures into the same kind of answer.

/** The request field whose value a failed write blames. */
export type WriteField = 'sku' | 'slug' | 'categoryId' | 'parentId';

export type WriteFailure =
  { kind: 'conflict'; field: WriteField } | { kind: 'unknown-reference'; field: WriteField } | { kind: 'other' };

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

// Constraint names as migrations/001_init.ts creates them (PostgreSQL's
// defaults: <table>_<column>_key, <table>_<column>_fkey). A violation of any
// other constraint, e.g. a primary key, is not the caller's doing.
const CONSTRAINTS = new Map<string, { code: string; failure: WriteFailure }>([
  ['products_sku_key', { code: UNIQUE_VIOLATION, failure: { kind: 'conflict', field: 'sku' } }],
  ['products_slug_key', { code: UNIQUE_VIOLATION, failure: { kind: 'conflict', field: 'slug' } }],
  ['products_category_id_fkey', { code: FOREIGN_KEY_VIOLATION, failure: { kind: 'unknown-reference', field: 'categoryId' } }],
  ['categories_slug_key', { code: UNIQUE_VIOLATION, failure: { kind: 'conflict', field: 'slug' } }],
  ['categories_parent_id_fkey', { code: FOREIGN_KEY_VIOLATION, failure: { kind: 'unknown-reference', field: 'parentId' } }],
]);

export function classifyWriteError(err: unknown): WriteFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; constraint?: unknown };
  const known = typeof e.constraint === 'string' ? CONSTRAINTS.get(e.constraint) : undefined;
  return known && known.code === e.code ? known.failure : { kind: 'other' };
}
