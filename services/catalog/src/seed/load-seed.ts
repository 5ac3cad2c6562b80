// Loads the seed catalogue into an empty database, once. The marker row and
// the data go in one transaction: a second instance starting at the same time
// blocks on the marker's primary key, then sees it taken and skips.

import type { CatalogDatabase } from '../db.ts';
import { buildSeed, SEED_NAME, type SeedCatalogue } from './build-seed.ts';

export interface SeedResult {
  seeded: boolean;
  categories: number;
  products: number;
}

export async function seedCatalogOnce(db: CatalogDatabase, seed: SeedCatalogue = buildSeed()): Promise<SeedResult> {
  return db.transaction().execute(async (trx) => {
    const marker = await trx
      .insertInto('seed_runs')
      .values({ name: SEED_NAME, product_count: seed.products.length })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('name')
      .executeTakeFirst();
    if (!marker) return { seeded: false, categories: 0, products: 0 };

    // DO NOTHING without a target: rows an admin created before seeding was
    // switched on keep their values instead of failing the whole seed.
    const categories = await trx
      .insertInto('categories')
      .values(seed.categories.map((c) => ({
        id: c.id, slug: c.slug, name: c.name, description: c.description, parent_id: c.parentId,
      })))
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .execute();
    const products = await trx
      .insertInto('products')
      .values(seed.products.map((p) => ({
        id: p.id,
        sku: p.sku,
        slug: p.slug,
        name: p.name,
        description: p.description,
        category_id: p.categoryId,
        price_cents: p.priceCents,
        currency: p.currency,
        image_url: p.imageUrl,
        tags: p.tags,
        attributes: JSON.stringify(p.attributes),
        created_at: p.createdAt,
        updated_at: p.createdAt,
      })))
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .execute();
    return { seeded: true, categories: categories.length, products: products.length };
  });
}
