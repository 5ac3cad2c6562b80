// What one confirmed order adds to the counts (pure): the distinct products
// with their units (an order may list a product on two lines), and every
// ordered pair of distinct products in it, both directions, so "bought with
// X" is one index lookup on X.

export interface Line {
  productId: string;
  quantity: number;
  name: string;
}

export interface BasketProduct {
  productId: string;
  units: number;
  name: string;
}

/** Distinct products (ids lower-cased), units summed, in a fixed order; the name of the product's first line. */
export function basket(lines: readonly Line[]): BasketProduct[] {
  const byId = new Map<string, BasketProduct>();
  for (const line of lines) {
    const id = line.productId.toLowerCase();
    const seen = byId.get(id);
    if (seen) seen.units += line.quantity;
    else byId.set(id, { productId: id, units: line.quantity, name: line.name });
  }
  return [...byId.values()].sort((a, b) => (a.productId < b.productId ? -1 : 1));
}

/** Every (product, other) with product ≠ other: n·(n−1) pairs for n distinct products. */
export function pairs(products: readonly BasketProduct[]): { productId: string; otherId: string }[] {
  const out: { productId: string; otherId: string }[] = [];
  for (const a of products)
    for (const b of products) if (a.productId !== b.productId) out.push({ productId: a.productId, otherId: b.productId });
  return out;
}

/** The UTC day of an instant, as PostgreSQL's date text. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}
