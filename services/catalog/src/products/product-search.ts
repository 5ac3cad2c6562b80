// Builds the SQL of a product search: filters, full-text match, ranking and
// paging. Kept apart from execution so unit tests can read the compiled SQL.

import { sql, type Expression, type SqlBool } from 'kysely';
import type { CatalogDatabase } from '../db.ts';
import { orderTerms, type ProductSearch } from './product-query.ts';

/** English stemming matches the seed and the storefront; one place to change it. */
export const TEXT_SEARCH_CONFIG = 'english';

export function productColumns(db: CatalogDatabase) {
  return db
    .selectFrom('products as p')
    .innerJoin('categories as c', 'c.id', 'p.category_id')
    .select([
      'p.id',
      'p.sku',
      'p.slug',
      'p.name',
      'p.description',
      'p.category_id',
      'p.price_cents',
      'p.currency',
      'p.image_url',
      'p.tags',
      'p.attributes',
      'p.created_at',
      'p.updated_at',
      'c.slug as category_slug',
      'c.name as category_name',
    ]);
}

export type ProductRow = Awaited<ReturnType<ReturnType<typeof productColumns>['executeTakeFirstOrThrow']>>;

function tsQuery(text: string) {
  return sql`websearch_to_tsquery(${sql.lit(TEXT_SEARCH_CONFIG)}::regconfig, ${text})`;
}

/** Products in the category with this slug or any category below it. */
function inCategoryTree(slug: string): Expression<SqlBool> {
  // UNION (not UNION ALL) also ends the walk should a cycle ever sneak into the tree.
  return sql<SqlBool>`p.category_id in (
    with recursive subtree(id) as (
      select id from categories where slug = ${slug}
      union
      select child.id from categories child join subtree on child.parent_id = subtree.id
    )
    select id from subtree
  )`;
}

/** The count and the page of a search, as two queries over the same filters. */
export function buildSearchQueries(db: CatalogDatabase, search: ProductSearch) {
  const filtered = <Q extends { where(e: Expression<SqlBool>): Q }>(q: Q): Q => {
    let out = q;
    if (search.text !== undefined) out = out.where(sql<SqlBool>`p.search_vector @@ ${tsQuery(search.text)}`);
    if (search.categorySlug !== undefined) out = out.where(inCategoryTree(search.categorySlug));
    if (search.ids !== undefined) out = out.where(sql<SqlBool>`p.id = any(${search.ids}::uuid[])`);
    if (search.minPrice !== undefined) out = out.where(sql<SqlBool>`p.price_cents >= ${search.minPrice}`);
    if (search.maxPrice !== undefined) out = out.where(sql<SqlBool>`p.price_cents <= ${search.maxPrice}`);
    return out;
  };

  const count = filtered(db.selectFrom('products as p').select((eb) => eb.fn.countAll<number>().as('total')));

  let page = filtered(productColumns(db));
  for (const term of orderTerms(search.sort)) {
    if (term.by === 'rank') page = page.orderBy(sql`ts_rank(p.search_vector, ${tsQuery(search.text ?? '')})`, term.direction);
    // Case is ignored: "LED Lamp" sorts as "led lamp" (Larch, Leather, LED Lamp),
    // whatever the database's collation would do with capitals.
    else if (term.by === 'name') page = page.orderBy(sql`lower(p.name)`, term.direction);
    else page = page.orderBy(`p.${term.by}`, term.direction);
  }
  page = page.limit(search.pageSize).offset(search.offset);
  return { count, page };
}
