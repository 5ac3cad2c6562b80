// Catalog schema: categories (a tree), products with a generated full-text
// search vector, and the marker that makes seeding happen once per database.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('categories')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    // RESTRICT: removing a category that still has children must be a deliberate act.
    .addColumn('parent_id', 'uuid', (c) => c.references('categories.id').onDelete('restrict'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('categories_not_own_parent', sql`parent_id is null or parent_id <> id`)
    .execute();
  await db.schema.createIndex('categories_parent_idx').on('categories').column('parent_id').execute();

  // array_to_string is only STABLE (it calls element output functions), so a
  // generated column cannot use it directly. For text[] the result never
  // changes, which makes this IMMUTABLE wrapper honest.
  await sql`
    create function catalog_tags_text(tags text[]) returns text
    language sql immutable parallel safe
    return coalesce(array_to_string(tags, ' '), '')
  `.execute(db);

  await db.schema
    .createTable('products')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('sku', 'text', (c) => c.notNull().unique())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('category_id', 'uuid', (c) => c.notNull().references('categories.id').onDelete('restrict'))
    .addColumn('price_cents', 'integer', (c) => c.notNull().check(sql`price_cents > 0`))
    .addColumn('currency', 'text', (c) =>
      c
        .notNull()
        .defaultTo('EUR')
        .check(sql`currency ~ '^[A-Z]{3}$'`),
    )
    .addColumn('image_url', 'text', (c) => c.notNull())
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('attributes', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Weights: a hit in the name beats one in tags or brand, which beats one in the description.
    .addColumn('search_vector', sql`tsvector`, (c) =>
      c
        .generatedAlwaysAs(
          sql`
        setweight(to_tsvector('english'::regconfig, name), 'A') ||
        setweight(to_tsvector('english'::regconfig,
          catalog_tags_text(tags) || ' ' || coalesce(attributes->>'brand', '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, description), 'C')
      `,
        )
        .stored(),
    )
    .execute();

  await db.schema.createIndex('products_search_idx').on('products').using('gin').column('search_vector').execute();
  await db.schema.createIndex('products_category_idx').on('products').column('category_id').execute();
  // Browsing sorts by price or name within a category far more often than it searches.
  await db.schema.createIndex('products_price_idx').on('products').columns(['price_cents', 'id']).execute();
  // Name order ignores case (Larch, Leather, LED Lamp: "LED Lamp" files among the
  // other L names by its lower-case spelling), so the index is on lower(name).
  await db.schema
    .createIndex('products_name_idx')
    .on('products')
    .expression(sql`lower(name), id`)
    .execute();
  await db.schema.createIndex('products_created_idx').on('products').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('seed_runs')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('product_count', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('seed_runs').execute();
  await db.schema.dropTable('products').execute();
  await sql`drop function catalog_tags_text(text[])`.execute(db);
  await db.schema.dropTable('categories').execute();
}
