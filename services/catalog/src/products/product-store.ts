// Reads and writes products in PostgreSQL and maps rows to the API shape.
// Database failures that mean bad input (duplicate SKU, unknown category)
// become coded errors here, so routes never see a raw PostgreSQL error.

import { randomUUID } from 'node:crypto';
import type { CreateProductBody, Product, ProductPage, UpdateProductBody } from '../../contract.ts';
import type { CatalogDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { parseRef } from '../ref.ts';
import { classifyWriteError } from '../write-errors.ts';
import { totalPages, type ProductSearch } from './product-query.ts';
import { newProductRow, productUpdateRow } from './product-rules.ts';
import { buildSearchQueries, productColumns, type ProductRow } from './product-search.ts';

export function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    slug: row.slug,
    name: row.name,
    description: row.description,
    categoryId: row.category_id,
    category: { id: row.category_id, slug: row.category_slug, name: row.category_name },
    priceCents: row.price_cents,
    currency: row.currency as Product['currency'],
    imageUrl: row.image_url,
    tags: row.tags,
    attributes: row.attributes,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export interface ProductStore {
  search(search: ProductSearch): Promise<ProductPage>;
  /** By id, or by slug when `ref` is not a UUID. */
  get(ref: string): Promise<Product>;
  create(body: CreateProductBody): Promise<Product>;
  update(id: string, body: UpdateProductBody): Promise<Product>;
  remove(id: string): Promise<void>;
}

export function createProductStore(db: CatalogDatabase, clock: { now(): number }): ProductStore {
  async function find(ref: string): Promise<Product | undefined> {
    const parsed = parseRef(ref);
    if (!parsed) return undefined;
    const query = productColumns(db);
    const row = await (parsed.by === 'id' ? query.where('p.id', '=', parsed.id) : query.where('p.slug', '=', parsed.slug)).executeTakeFirst();
    return row && toProduct(row);
  }

  async function get(ref: string): Promise<Product> {
    const product = await find(ref);
    if (!product) throw errors.productNotFound({ detail: `No product with id or slug "${ref}".`, extensions: { id: ref } });
    return product;
  }

  function rethrowWriteError(err: unknown, body: { sku?: string; slug?: string; categoryId?: string }, slug?: string): never {
    const failure = classifyWriteError(err);
    if (failure.kind === 'conflict') {
      const value = failure.field === 'sku' ? body.sku : (body.slug ?? slug);
      throw errors.productConflict({
        detail: `Another product already has the ${failure.field} "${value}".`,
        extensions: { field: failure.field, value },
        cause: err,
      });
    }
    if (failure.kind === 'unknown-reference') {
      throw errors.categoryUnknown({
        detail: `No category has the id ${body.categoryId}.`,
        extensions: { field: failure.field, value: body.categoryId },
        cause: err,
      });
    }
    throw err;
  }

  return {
    async search(search) {
      const { count, page } = buildSearchQueries(db, search);
      const [counted, rows] = await Promise.all([count.executeTakeFirstOrThrow(), page.execute()]);
      const total = Number(counted.total);
      return {
        items: rows.map(toProduct),
        page: search.page,
        pageSize: search.pageSize,
        total,
        totalPages: totalPages(total, search.pageSize),
      };
    },

    get,

    async create(body) {
      const row = newProductRow(body, randomUUID(), new Date(clock.now()));
      try {
        await db.insertInto('products').values(row).execute();
      } catch (err) {
        rethrowWriteError(err, body, row.slug);
      }
      return get(row.id);
    },

    async update(id, body) {
      let updated: { id: string } | undefined;
      try {
        updated = await db
          .updateTable('products')
          .set(productUpdateRow(body, new Date(clock.now())))
          .where('id', '=', id.toLowerCase())
          .returning('id')
          .executeTakeFirst();
      } catch (err) {
        rethrowWriteError(err, body);
      }
      if (!updated) throw errors.productNotFound({ detail: `No product with id ${id}.`, extensions: { id } });
      return get(updated.id);
    },

    async remove(id) {
      const result = await db.deleteFrom('products').where('id', '=', id.toLowerCase()).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw errors.productNotFound({ detail: `No product with id ${id}.`, extensions: { id } });
    },
  };
}
