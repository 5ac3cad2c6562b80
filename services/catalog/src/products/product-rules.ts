// Rules for writing products: derived slugs and image references, tag
// normalisation, and the rows a create or update turns into. Pure functions.

import type { CreateProductBody, PriceChanged, UpdateProductBody } from '../../contract.ts';
import type { Insertable } from 'kysely';
import type { Attributes, ProductTable } from '../db.ts';

/** A URL-safe slug from a product or category name ("Café Crème 250 g" → "cafe-creme-250-g"). */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
}

/** Images live on the storefront's static host; the catalog stores only the path. */
export function defaultImageUrl(slug: string): string {
  return `/images/products/${slug}.jpg`;
}

/** Tags are matched and shown in lower case, once each, in the order given. */
export function normaliseTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim().toLowerCase().replace(/\s+/g, ' ');
    if (tag && !out.includes(tag)) out.push(tag);
  }
  return out;
}

/** A products row as inserted: every column given, so seeding and creation write the same shape. */
export type NewProductRow = Required<Insertable<ProductTable>>;

/**
 * The row a create request becomes. Without a slug one is derived from the
 * name, or from the SKU when the name has no letters or digits to slug.
 */
export function newProductRow(body: CreateProductBody, id: string, now: Date): NewProductRow {
  const slug = body.slug ?? (slugify(body.name) || body.sku.toLowerCase());
  return {
    id,
    sku: body.sku,
    slug,
    name: body.name.trim(),
    description: (body.description ?? '').trim(),
    category_id: body.categoryId.toLowerCase(),
    price_cents: body.priceCents,
    currency: body.currency ?? 'EUR',
    image_url: body.imageUrl ?? defaultImageUrl(slug),
    tags: normaliseTags(body.tags ?? []),
    attributes: JSON.stringify(body.attributes ?? {}),
    created_at: now,
    updated_at: now,
  };
}

export type ProductUpdateRow = Partial<Omit<NewProductRow, 'id' | 'created_at'>> & { updated_at: Date };

/** Only the fields present in a PATCH change; the rest keep their value. */
export function productUpdateRow(body: UpdateProductBody, now: Date): ProductUpdateRow {
  const row: ProductUpdateRow = { updated_at: now };
  if (body.sku !== undefined) row.sku = body.sku;
  if (body.slug !== undefined) row.slug = body.slug;
  if (body.name !== undefined) row.name = body.name.trim();
  if (body.description !== undefined) row.description = body.description.trim();
  if (body.categoryId !== undefined) row.category_id = body.categoryId.toLowerCase();
  if (body.priceCents !== undefined) row.price_cents = body.priceCents;
  if (body.currency !== undefined) row.currency = body.currency;
  if (body.imageUrl !== undefined) row.image_url = body.imageUrl;
  if (body.tags !== undefined) row.tags = normaliseTags(body.tags);
  if (body.attributes !== undefined) row.attributes = JSON.stringify(body.attributes satisfies Attributes);
  return row;
}

type PricedRow = { price_cents: number; currency: string };

/**
 * The PriceChanged payload (without productId) an update makes, or undefined
 * when the price stayed the same: an update of other fields, or one that sends
 * the current price again, announces nothing.
 */
export function priceChange(before: PricedRow, after: PricedRow, reason?: string): Omit<PriceChanged, 'productId'> | undefined {
  if (before.price_cents === after.price_cents) return undefined;
  return {
    oldPriceCents: before.price_cents,
    newPriceCents: after.price_cents,
    currency: after.currency,
    ...(reason !== undefined ? { reason } : {}),
  };
}
