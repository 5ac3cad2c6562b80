// Reads and writes categories, with product counts rolled up the tree.

import { randomUUID } from 'node:crypto';
import type { Category, CreateCategoryBody } from '../../contract.ts';
import type { CatalogDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { parseRef } from '../ref.ts';
import { classifyWriteError } from '../write-errors.ts';
import { rollUpCounts, treeOrder } from './category-tree.ts';

export interface CategoryStore {
  /** Every category, parents before their children, with rolled-up product counts. */
  list(): Promise<Category[]>;
  /** By id, or by slug when `ref` is not a UUID. */
  get(ref: string): Promise<Category>;
  create(body: CreateCategoryBody): Promise<Category>;
}

export function createCategoryStore(db: CatalogDatabase): CategoryStore {
  async function list(): Promise<Category[]> {
    const [rows, counts] = await Promise.all([
      db.selectFrom('categories').select(['id', 'slug', 'name', 'description', 'parent_id']).execute(),
      db
        .selectFrom('products')
        .select((eb) => ['category_id', eb.fn.countAll<number>().as('n')])
        .groupBy('category_id')
        .execute(),
    ]);
    const nodes = rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, description: r.description, parentId: r.parent_id }));
    const totals = rollUpCounts(nodes, new Map(counts.map((c) => [c.category_id, Number(c.n)])));
    return treeOrder(nodes).map((c) => ({ ...c, productCount: totals.get(c.id) ?? 0 }));
  }

  async function get(ref: string): Promise<Category> {
    // A category's count includes its whole subtree, which list() already works out; the table is small.
    const parsed = parseRef(ref);
    const found = parsed && (await list()).find((c) => (parsed.by === 'id' ? c.id === parsed.id : c.slug === parsed.slug));
    if (!found) throw errors.categoryNotFound({ detail: `No category with id or slug "${ref}".`, extensions: { id: ref } });
    return found;
  }

  return {
    list,
    get,
    async create(body) {
      const id = randomUUID();
      try {
        await db
          .insertInto('categories')
          .values({
            id,
            slug: body.slug,
            name: body.name.trim(),
            description: (body.description ?? '').trim(),
            parent_id: body.parentId?.toLowerCase() ?? null,
          })
          .execute();
      } catch (err) {
        const failure = classifyWriteError(err);
        if (failure.kind === 'conflict') {
          throw errors.categoryConflict({
            detail: `Another category already has the slug "${body.slug}".`,
            extensions: { field: failure.field, value: body.slug },
            cause: err,
          });
        }
        if (failure.kind === 'unknown-reference') {
          throw errors.categoryUnknown({
            detail: `No category has the id ${body.parentId}.`,
            extensions: { field: failure.field, value: body.parentId },
            cause: err,
          });
        }
        throw err;
      }
      return get(id);
    },
  };
}
