// The recommendations service's public contract: TypeBox schemas of its HTTP
// API (products bought together, bestsellers).
// It publishes no events.

import { Type, type Static } from 'typebox';

export const API_PREFIX = '/api/v1/recommendations';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 50;
/** At most this many products in `productIds` (a big cart). */
export const MAX_BASKET = 50;
export const MAX_WINDOW_DAYS = 365;

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });
const Limit = Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `How many, default ${DEFAULT_LIMIT}.` });

export const RecommendationsQuery = Type.Object({
  productId: Type.Optional(Uuid),
  productIds: Type.Optional(
    Type.String({
      // Room for repeats and spaces: the handler says "at most 50 products", clearer than a length.
      minLength: 1,
      maxLength: 4000,
      description: `Comma-separated product ids (a cart, up to ${MAX_BASKET}): merged, those ids left out.`,
    }),
  ),
  limit: Type.Optional(Limit),
});
export type RecommendationsQuery = Static<typeof RecommendationsQuery>;

export const Recommendation = Type.Object({
  productId: Uuid,
  /** As in the newest confirmed order that had it (prices are catalog's business: what was paid is not what it costs now). */
  name: Type.String(),
  /** Confirmed orders that had this product together with the given one(s) (summed over them). */
  count: Type.Integer({ minimum: 1 }),
});
export type Recommendation = Static<typeof Recommendation>;

export const Recommendations = Type.Object({
  /** The product ids the recommendations are for. */
  basedOn: Type.Array(Uuid),
  /** Most often bought together first; empty when nothing is known yet (fall back to bestsellers). */
  items: Type.Array(Recommendation),
});
export type Recommendations = Static<typeof Recommendations>;

export const BestsellersQuery = Type.Object({
  limit: Type.Optional(Limit),
  days: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_WINDOW_DAYS,
      description: 'Only the last N days (UTC, today included); default all time.',
    }),
  ),
});
export type BestsellersQuery = Static<typeof BestsellersQuery>;

export const Bestseller = Type.Object({
  productId: Uuid,
  name: Type.String(),
  /** Units sold in confirmed orders (in the window). */
  units: Type.Integer({ minimum: 1 }),
  /** Confirmed orders that had it (in the window). */
  orders: Type.Integer({ minimum: 1 }),
});
export type Bestseller = Static<typeof Bestseller>;

export const Bestsellers = Type.Object({
  windowDays: Type.Union([Type.Integer(), Type.Null()]),
  items: Type.Array(Bestseller),
});
export type Bestsellers = Static<typeof Bestsellers>;
