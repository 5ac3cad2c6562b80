// The current stock of a product, asked of inventory when a product page is
// read. Catalog owns no stock; a slow or failing inventory must not take the
// product page down with it, so the call is short and falls back to "unknown".

import type { ServiceContext } from '@souk/chassis';
import type { StockInfo } from '../../contract.ts';

/** What inventory answers for a list of products (see services/inventory/contract.ts). */
interface InventoryLevels {
  items: Array<{ productId: string; available: number; lowStockThreshold: number }>;
}

export type StockLookup = (productId: string) => Promise<StockInfo | null>;

export function stockStatus(available: number, lowStockThreshold: number): StockInfo['status'] {
  if (available <= 0) return 'OUT_OF_STOCK';
  return available <= lowStockThreshold ? 'LOW' : 'IN_STOCK';
}

export function createStockLookup(ctx: Pick<ServiceContext, 'client'>, options: { timeoutMs: number }): StockLookup {
  return async (productId) => {
    const res = await ctx.client('inventory').request<InventoryLevels | null>({
      method: 'GET',
      path: '/api/v1/inventory',
      query: { productIds: productId },
      timeoutMs: options.timeoutMs,
      auth: 'caller',
      fallback: () => null,
    });
    const level = res.body?.items.find((i) => i.productId === productId);
    if (!level) return res.body ? { available: 0, status: 'OUT_OF_STOCK' } : null;
    return { available: Math.max(0, level.available), status: stockStatus(level.available, level.lowStockThreshold) };
  };
}
