// The cart service's public contract: TypeBox schemas of its HTTP API, used by
// the routes for validation and OpenAPI, and by orders to read a cart's lines.
// It publishes no events.

import { Type, type Static } from 'typebox';

export const API_PREFIX = '/api/v1/cart';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** Units of one product per cart. */
export const MAX_QUANTITY = 99;
/** Different products per cart. */
export const MAX_LINES = 50;

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });
const Quantity = Type.Integer({ minimum: 1, maximum: MAX_QUANTITY });
const Timestamp = Type.String({ format: 'date-time' });

export const CartLine = Type.Object({
  productId: Uuid,
  name: Type.String(),
  quantity: Quantity,
  unitPriceCents: Type.Integer({
    minimum: 0,
    description: "The catalog's current price, or the last one known when priceStale.",
  }),
  currency: Type.String(),
  lineTotalCents: Type.Integer({ minimum: 0 }),
  /** True when catalog did not answer in time and the price is the cached one from priceAsOf. */
  priceStale: Type.Boolean(),
  priceAsOf: Timestamp,
  /** Units inventory can still reserve; null when inventory was not asked (the answer to a write) or did not answer. */
  available: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description:
      'Units inventory can still reserve, on a read of the cart; null on the answer to a write (inventory is not asked then) or when inventory did not answer.',
  }),
});
export type CartLine = Static<typeof CartLine>;

export const Cart = Type.Object({
  /** Oldest line first (the order products were added in). */
  items: Type.Array(CartLine),
  /** Units over all lines. */
  itemCount: Type.Integer({ minimum: 0 }),
  totalCents: Type.Integer({ minimum: 0 }),
  currency: Type.String(),
  /** True when any line's price is a cached one (see priceStale): show it, but confirm before charging. */
  stale: Type.Boolean(),
  /** When the cart is forgotten unless written to again; null for an empty cart. */
  expiresAt: Type.Union([Timestamp, Type.Null()]),
});
export type Cart = Static<typeof Cart>;

/** The cart as orders reads it at checkout: what and how many, oldest line first, without prices (orders prices it). */
export const CartLines = Type.Object({
  items: Type.Array(Type.Object({ productId: Uuid, quantity: Quantity })),
  /** When the cart is forgotten unless written to again; null for an empty cart. */
  expiresAt: Type.Union([Timestamp, Type.Null()]),
});
export type CartLines = Static<typeof CartLines>;

export const AddItemBody = Type.Object(
  {
    productId: Uuid,
    quantity: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_QUANTITY,
        description: 'Added to the line if the product is already in the cart; default 1.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AddItemBody = Static<typeof AddItemBody>;

export const SetQuantityBody = Type.Object(
  {
    quantity: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, description: 'The new quantity (remove a line with DELETE).' }),
  },
  { additionalProperties: false },
);
export type SetQuantityBody = Static<typeof SetQuantityBody>;

export const ItemParams = Type.Object({ productId: Uuid });
export type ItemParams = Static<typeof ItemParams>;
