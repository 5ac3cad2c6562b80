// How many units of each product inventory can still reserve, for the cart
// lines. Informational: when inventory does not answer within its budget the
// cart is shown anyway, with available null.

import { isSoukError, type Logger, type ServiceClient } from '@souk/chassis';
import type { StockLevelList } from '@souk/inventory/contract';

export interface Availability {
  /** Units per product; undefined when inventory could not be asked. */
  of(productIds: readonly string[]): Promise<Map<string, number> | undefined>;
}

export function createAvailability(deps: { client: ServiceClient; timeoutMs: number; log: Logger }): Availability {
  return {
    async of(productIds) {
      if (productIds.length === 0) return new Map();
      try {
        const res = await deps.client.request<StockLevelList>({
          method: 'GET',
          path: '/api/v1/inventory',
          query: { productIds: productIds.join(',') },
          timeoutMs: deps.timeoutMs,
          signal: AbortSignal.timeout(deps.timeoutMs),
        });
        return new Map(res.body.items.map((level) => [level.productId.toLowerCase(), level.available]));
      } catch (err) {
        deps.log.warn({ code: isSoukError(err) ? err.code : undefined }, 'inventory did not answer; availability unknown');
        return undefined;
      }
    },
  };
}
