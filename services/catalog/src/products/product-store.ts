// Reads and writes products in PostgreSQL and maps rows to the API shape.
// Writes publish their events (ProductCreated, PriceChanged) in their own
// transaction. Database failures that mean bad input (duplicate SKU, unknown
// category) become coded errors here, so routes never see a raw PostgreSQL error.

import { randomUUID } from 'node:crypto';
import type { Events } from '@souk/chassis';
import {
  PriceChanged,
  ProductCreated,
  ProductDeleted,
  ProductRenamed,
  type CreateProductBody,
  type Product,
  type ProductPage,
  type UpdateProductBody,
} from '../../contract.ts';
import type { CatalogDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { parseRef } from '../ref.ts';
import { classifyWriteError } from '../write-errors.ts';
import { totalPages, type ProductSearch } from './product-query.ts';
import { newProductRow, priceChange, productUpdateRow } from './product-rules.ts';
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

export interface ProductStoreDeps {
  clock: { now(): number };
  /** The chassis outbox (`ctx.events`). */
  events: Pick<Events, 'publish'>;
}

export function createProductStore(db: CatalogDatabase, { clock, events }: ProductStoreDeps): ProductStore {
  async function find(ref: string): Promise<Product | undefined> {
    const parsed = parseRef(ref);
    if (!parsed) return undefined;
    const query = productColumns(db);
    const row = await (
      parsed.by === 'id' ? query.where('p.id', '=', parsed.id) : query.where('p.slug', '=', parsed.slug)
    ).executeTakeFirst();
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
        await db.transaction().execute(async (trx) => {
          await trx.insertInto('products').values(row).execute();
          await events.publish(
            trx,
            ProductCreated,
            {
              productId: row.id,
              sku: row.sku,
              slug: row.slug,
              name: row.name,
              categoryId: row.category_id,
              priceCents: row.price_cents,
              currency: row.currency,
              createdAt: row.created_at.toISOString(),
            },
            { subject: row.id, time: row.created_at },
          );
        });
      } catch (err) {
        rethrowWriteError(err, body, row.slug);
      }
      return get(row.id);
    },

    async update(id, body) {
      let updated: { id: string } | undefined;
      const now = new Date(clock.now());
      try {
        updated = await db.transaction().execute(async (trx) => {
          // The row lock keeps a concurrent update from changing the price between
          // this read and the write, so the event's old price is the one replaced.
          const before = await trx
            .selectFrom('products')
            .select(['name', 'price_cents', 'currency'])
            .where('id', '=', id.toLowerCase())
            .forUpdate()
            .executeTakeFirst();
          if (!before) return undefined;
          const after = await trx
            .updateTable('products')
            .set(productUpdateRow(body, now))
            .where('id', '=', id.toLowerCase())
            .returning(['id', 'name', 'price_cents', 'currency'])
            .executeTakeFirstOrThrow();
          const change = priceChange(before, after, body.priceChangeReason);
          if (change)
            await events.publish(trx, PriceChanged, { productId: after.id, ...change }, { subject: after.id, time: now });
          if (before.name !== after.name)
            await events.publish(
              trx,
              ProductRenamed,
              { productId: after.id, oldName: before.name, name: after.name },
              { subject: after.id, time: now },
            );
          return after;
        });
      } catch (err) {
        rethrowWriteError(err, body);
      }
      if (!updated) throw errors.productNotFound({ detail: `No product with id ${id}.`, extensions: { id } });
      return get(updated.id);
    },

    async remove(id) {
      const now = new Date(clock.now());
      const deleted = await db.transaction().execute(async (trx) => {
        const row = await trx
          .deleteFrom('products')
          .where('id', '=', id.toLowerCase())
          .returning(['id', 'sku'])
          .executeTakeFirst();
        if (row)
          await events.publish(
            trx,
            ProductDeleted,
            { productId: row.id, sku: row.sku, deletedAt: now.toISOString() },
            { subject: row.id, time: now },
          );
        return row;
      });
      if (!deleted) throw errors.productNotFound({ detail: `No product with id ${id}.`, extensions: { id } });
    },
  };
}
