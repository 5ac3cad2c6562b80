// The orders service's migrations in order; the chassis runs them at start.

import type { Migration } from 'kysely';
import * as init from './001_init.ts';
import * as productPrices from './002_product_prices.ts';

export const migrations: Record<string, Migration> = {
  '001_init': init,
  '002_product_prices': productPrices,
};
