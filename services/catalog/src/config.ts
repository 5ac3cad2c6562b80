// The catalog's own environment variables; the chassis validates them with the
// common ones at start (the only place they are read).

import { Type } from 'typebox';

export const CatalogConfig = Type.Object({
  CATALOG_SEED: Type.Boolean({ default: true, description: 'Load the demo catalogue into an empty database at first start.' }),
  CATALOG_STOCK_TIMEOUT_MS: Type.Integer({
    default: 300,
    minimum: 10,
    description: "How long a product page waits for inventory's stock figure before showing it as unknown.",
  }),
});
