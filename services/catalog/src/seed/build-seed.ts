// Expands the hand-written templates into the seed catalogue: one product per
// variant with a stable id, SKU, slug, image path and creation time. No
// randomness, so every instance and every test builds the same rows.

import { defaultImageUrl, normaliseTags, slugify } from '../products/product-rules.ts';
import type { Attributes } from '../db.ts';
import { seedCategories } from './categories.ts';
import { uuidV5 } from './stable-id.ts';
import type { TemplateFile } from './templates.ts';
import { apparelProducts } from './products-apparel.ts';
import { audioProducts } from './products-audio.ts';
import { bookProducts } from './products-books.ts';
import { coffeeTeaProducts } from './products-coffee-tea.ts';
import { homeOfficeProducts } from './products-home-office.ts';
import { kitchenProducts } from './products-kitchen.ts';
import { outdoorProducts } from './products-outdoor.ts';
import { toyProducts } from './products-toys.ts';

/** Bump when the seed changes in a way an existing database should not pick up silently. */
export const SEED_NAME = 'catalog-seed-v1';

/** Seed products appear to have been added over the weeks before this date, one every 11 hours. */
const SEED_EPOCH_MS = Date.UTC(2025, 0, 6);
const SEED_STEP_MS = 11 * 60 * 60 * 1000;

export const templateFiles: readonly TemplateFile[] = [
  kitchenProducts,
  coffeeTeaProducts,
  homeOfficeProducts,
  outdoorProducts,
  audioProducts,
  bookProducts,
  toyProducts,
  apparelProducts,
];

export interface SeedCategoryRow {
  id: string;
  slug: string;
  name: string;
  description: string;
  parentId: string | null;
  parentSlug: string | null;
}

export interface SeedProduct {
  id: string;
  sku: string;
  slug: string;
  name: string;
  description: string;
  categoryId: string;
  categorySlug: string;
  priceCents: number;
  currency: 'EUR';
  imageUrl: string;
  tags: string[];
  attributes: Attributes;
  createdAt: Date;
}

export interface SeedCatalogue {
  categories: SeedCategoryRow[];
  products: SeedProduct[];
}

export function categoryIdFor(slug: string): string {
  return uuidV5(`category:${slug}`);
}

export function buildSeed(files: readonly TemplateFile[] = templateFiles): SeedCatalogue {
  const categories = seedCategories.map((c) => ({
    id: categoryIdFor(c.slug),
    slug: c.slug,
    name: c.name,
    description: c.description,
    parentId: c.parent ? categoryIdFor(c.parent) : null,
    parentSlug: c.parent ?? null,
  }));
  const products: SeedProduct[] = [];
  for (const file of files) {
    file.templates.forEach((t, line) => {
      const stem = `${file.skuPrefix}-${String(line + 1).padStart(3, '0')}`;
      const variants = t.variants ?? [undefined];
      for (const v of variants) {
        const name = v ? `${t.name}, ${v.label}` : t.name;
        const slug = slugify(name);
        products.push({
          id: uuidV5(`product:${slug}`),
          sku: v ? `${stem}-${slugify(v.label).toUpperCase()}` : stem,
          slug,
          name,
          description: t.description,
          categoryId: categoryIdFor(t.category),
          categorySlug: t.category,
          priceCents: v?.priceCents ?? t.priceCents,
          currency: 'EUR',
          imageUrl: defaultImageUrl(slug),
          tags: normaliseTags(t.tags),
          attributes: { brand: t.brand, ...t.attributes, ...v?.attributes },
          createdAt: new Date(0),
        });
      }
    });
  }
  // Interleave creation times across departments with a fixed permutation
  // (i * stride mod n, stride coprime with n) so that "newest" shows a mix.
  const n = products.length;
  const stride = coprimeStride(n);
  products.forEach((p, i) => {
    p.createdAt = new Date(SEED_EPOCH_MS - ((i * stride) % n) * SEED_STEP_MS);
  });
  return { categories, products };
}

function coprimeStride(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = 7;
  while (n > 1 && gcd(stride, n) !== 1) stride += 2;
  return stride;
}
