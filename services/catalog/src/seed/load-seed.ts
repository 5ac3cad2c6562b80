// Loads the seed catalogue into a database, once. The marker row and the data
// go in one transaction: a second instance starting at the same time blocks
// on the marker's primary key, then sees it taken and skips.

import type { Transaction } from 'kysely';
import type { ChassisTables } from '@souk/chassis';
import type { CatalogDatabase, CatalogDb } from '../db.ts';
import { buildSeed, SEED_NAME, type SeedCatalogue } from './build-seed.ts';

export interface SeedResult {
  seeded: boolean;
  /** Rows the seed added; rows that were already there are not counted. */
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

    const { idsBySlug, added } = await loadCategories(trx, seed);
    // Products go by their category's slug, to the id that category really has.
    // DO NOTHING without a target skips any product whose id, SKU or slug is
    // already taken (an admin's product keeps its values).
    const rows = seed.products.flatMap((p) => {
      const categoryId = idsBySlug.get(p.categorySlug);
      if (categoryId === undefined) return [];
      return [
        {
          id: p.id,
          sku: p.sku,
          slug: p.slug,
          name: p.name,
          description: p.description,
          category_id: categoryId,
          price_cents: p.priceCents,
          currency: p.currency,
          image_url: p.imageUrl,
          tags: p.tags,
          attributes: JSON.stringify(p.attributes),
          created_at: p.createdAt,
          updated_at: p.createdAt,
        },
      ];
    });
    const products = rows.length
      ? await trx
          .insertInto('products')
          .values(rows)
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .execute()
      : [];
    return { seeded: true, categories: added, products: products.length };
  });
}

/**
 * Adds the seed categories, parents first, keeping any that already exist (an
 * admin may have created "kitchen" while seeding was off): the existing row
 * keeps its id and values, and the seed's children and products attach to
 * that id. Returns the id each seed slug has in the table; a slug whose row
 * could not be made (its seed id taken under another slug, or its parent
 * missing) is left out, and so are its children and products.
 */
async function loadCategories(
  trx: Transaction<CatalogDb & ChassisTables>,
  seed: SeedCatalogue,
): Promise<{ idsBySlug: Map<string, string>; added: number }> {
  const idsBySlug = new Map<string, string>();
  let added = 0;
  // Seed categories list parents before children, so a parent's id is known by then.
  for (const c of seed.categories) {
    const parentId = c.parentSlug === null ? null : idsBySlug.get(c.parentSlug);
    if (parentId === undefined) continue;
    const inserted = await trx
      .insertInto('categories')
      .values({ id: c.id, slug: c.slug, name: c.name, description: c.description, parent_id: parentId })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) added++;
    const id =
      inserted?.id ?? (await trx.selectFrom('categories').select('id').where('slug', '=', c.slug).executeTakeFirst())?.id;
    if (id !== undefined) idsBySlug.set(c.slug, id);
  }
  return { idsBySlug, added };
}
