// The shape of the hand-written seed catalogue: one template per product line,
// expanded into one product per variant (colour, size, format) by build-seed.ts.

import type { Attributes } from '../db.ts';

export interface VariantTemplate {
  /** Appended to the name ("Dutch Oven 24 cm, Cherry") and, upper-cased, to the SKU. */
  label: string;
  attributes?: Attributes;
  /** When the variant costs more or less than the line's price. */
  priceCents?: number;
}

export interface ProductTemplate {
  name: string;
  brand: string;
  /** Slug of a category in categories.ts. */
  category: string;
  priceCents: number;
  description: string;
  tags: string[];
  attributes?: Attributes;
  variants?: VariantTemplate[];
}

/** The products of one top-level category; SKUs are `<prefix>-<line number>[-<variant>]`. */
export interface TemplateFile {
  skuPrefix: string;
  templates: ProductTemplate[];
}

/** Colour variants, the most common kind. */
export function colours(...labels: string[]): VariantTemplate[] {
  return labels.map((label) => ({ label, attributes: { colour: label.toLowerCase() } }));
}
