// The catalog's public contract: TypeBox schemas of its HTTP API (used by the
// routes for validation and OpenAPI) and of the events it publishes.
// Other services import this file.

import { defineEvent } from '@souk/chassis';
import { Type, type Static } from 'typebox';

export const API_PREFIX = '/api/v1/catalog';

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const SLUG_PATTERN = '^[a-z0-9]+(?:-[a-z0-9]+)*$';
export const SKU_PATTERN = '^[A-Z0-9]+(?:-[A-Z0-9]+)*$';
/** The tidy form of a tag (the seed keeps to it); input tags are only trimmed and lower-cased. */
export const TAG_PATTERN = '^[a-z0-9]+(?:[ -][a-z0-9]+)*$';

/** The largest price the catalog accepts: 1,000,000.00 in minor units (fits a PostgreSQL integer). */
export const MAX_PRICE_CENTS = 100_000_000;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });
const Slug = Type.String({ pattern: SLUG_PATTERN, minLength: 1, maxLength: 80 });
const Sku = Type.String({ pattern: SKU_PATTERN, minLength: 2, maxLength: 40 });
/** Names are stored trimmed, so one of only whitespace would be stored empty: it needs a non-space character. */
const Name = Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' });
const Description = Type.String({ maxLength: 2000 });
const PriceCents = Type.Integer({ minimum: 1, maximum: MAX_PRICE_CENTS, description: 'Price in minor units (cents).' });
/** Only euros for now; the column and the schema leave room for more. */
const Currency = Type.Literal('EUR');
const ImageUrl = Type.String({ minLength: 1, maxLength: 500, pattern: '^(/|https://)' });
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 20 });
const Attributes = Type.Record(
  Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]*$', maxLength: 40 }),
  Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean()]),
  { maxProperties: 30 },
);
const Timestamp = Type.String({ description: 'ISO 8601 date-time' });

export const IdParams = Type.Object({ id: Uuid });
/** Products and categories can be fetched by id or by slug (for readable storefront URLs). */
export const RefParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 80 }) });

export const CategoryRef = Type.Object({ id: Uuid, slug: Slug, name: Name });

export const Product = Type.Object({
  id: Uuid,
  sku: Sku,
  slug: Slug,
  name: Name,
  description: Description,
  categoryId: Uuid,
  category: CategoryRef,
  priceCents: PriceCents,
  currency: Currency,
  imageUrl: ImageUrl,
  tags: Tags,
  attributes: Attributes,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

/** Units on sale now, from inventory (catalog owns no stock). */
export const StockInfo = Type.Object({
  available: Type.Integer({ minimum: 0, description: 'Units that can be ordered now (on hand less reserved).' }),
  status: Type.Union([Type.Literal('IN_STOCK'), Type.Literal('LOW'), Type.Literal('OUT_OF_STOCK')]),
});
export type StockInfo = Static<typeof StockInfo>;

/** One product as its page shows it: the product and its current stock. */
export const ProductDetail = Type.Object({
  ...Product.properties,
  stock: Type.Union([StockInfo, Type.Null()], {
    description: 'null when inventory did not answer in time: the product is shown, its stock is unknown for now.',
  }),
});
export type ProductDetail = Static<typeof ProductDetail>;

export const SORTS = ['relevance', 'price', '-price', 'name', '-name', 'newest'] as const satisfies readonly ProductSort[];
export const ProductSort = Type.Union(
  [
    Type.Literal('relevance'),
    Type.Literal('price'),
    Type.Literal('-price'),
    Type.Literal('name'),
    Type.Literal('-name'),
    Type.Literal('newest'),
  ],
  { description: 'Default: relevance when q is given, else name.' },
);

export const ProductListQuery = Type.Object({
  q: Type.Optional(
    Type.String({ maxLength: 200, description: 'Full-text search (web search syntax: "quoted phrase", -exclude, or).' }),
  ),
  category: Type.Optional(
    Type.String({ pattern: SLUG_PATTERN, maxLength: 80, description: 'Category slug; includes its subcategories.' }),
  ),
  minPrice: Type.Optional(
    Type.Integer({ minimum: 0, maximum: MAX_PRICE_CENTS, description: 'Lowest price in cents, inclusive.' }),
  ),
  maxPrice: Type.Optional(
    Type.Integer({ minimum: 0, maximum: MAX_PRICE_CENTS, description: 'Highest price in cents, inclusive.' }),
  ),
  sort: Type.Optional(ProductSort),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  ids: Type.Optional(
    Type.String({
      pattern: `^${UUID_PATTERN.slice(1, -1)}(,${UUID_PATTERN.slice(1, -1)}){0,${MAX_PAGE_SIZE - 1}}$`,
      description: `Only these products: up to ${MAX_PAGE_SIZE} comma-separated ids (a cart's prices in one call). Unknown ids are left out.`,
    }),
  ),
});

export const ProductPage = Type.Object({
  items: Type.Array(Product),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  total: Type.Integer(),
  totalPages: Type.Integer(),
});

// ---- API v2: money as { amount, currency } --------------------------------------------------------
// The one breaking change from v1: `priceCents` and `currency` become `price: { amount, currency }`, the
// amount a decimal string in the currency's major unit ("12.99"), so a client never guesses the minor unit
// nor loses cents to a float. Queries are v1's (prices in the filters stay in cents until a v3).

export const API_V2_PREFIX = '/api/v2/catalog';

/** v1's product reads stay until then, answering with Deprecation, Sunset and a Link to v2. */
export const V1_DEPRECATED_AT = new Date('2026-12-07T00:00:00Z');
export const V1_SUNSET_AT = new Date('2027-06-30T00:00:00Z');

export const Money = Type.Object({
  amount: Type.String({ pattern: '^(0|[1-9][0-9]*)\\.[0-9]{2}$', description: 'Decimal, in the major unit: "12.99".' }),
  currency: Currency,
});
export type Money = Static<typeof Money>;

const { priceCents: _cents, currency: _currency, ...productV2Fields } = Product.properties;
export const ProductV2 = Type.Object({ ...productV2Fields, price: Money });
export type ProductV2 = Static<typeof ProductV2>;

export const ProductDetailV2 = Type.Object({ ...ProductV2.properties, stock: ProductDetail.properties.stock });
export type ProductDetailV2 = Static<typeof ProductDetailV2>;

export const ProductPageV2 = Type.Object({ ...ProductPage.properties, items: Type.Array(ProductV2) });
export type ProductPageV2 = Static<typeof ProductPageV2>;

/** A v1 product as v2 shows it. */
export function productV2<P extends { priceCents: number; currency: 'EUR' }>(
  p: P,
): Omit<P, 'priceCents' | 'currency'> & { price: Money } {
  const { priceCents, currency, ...rest } = p;
  // Integer arithmetic: no float ever holds the amount.
  return { ...rest, price: { amount: `${Math.floor(priceCents / 100)}.${String(priceCents % 100).padStart(2, '0')}`, currency } };
}

export const CreateProductBody = Type.Object(
  {
    sku: Sku,
    slug: Type.Optional(Slug),
    name: Name,
    description: Type.Optional(Description),
    categoryId: Uuid,
    priceCents: PriceCents,
    currency: Type.Optional(Currency),
    imageUrl: Type.Optional(ImageUrl),
    tags: Type.Optional(Tags),
    attributes: Type.Optional(Attributes),
  },
  { additionalProperties: false },
);

export const UpdateProductBody = Type.Object(
  {
    sku: Type.Optional(Sku),
    slug: Type.Optional(Slug),
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    categoryId: Type.Optional(Uuid),
    priceCents: Type.Optional(PriceCents),
    currency: Type.Optional(Currency),
    imageUrl: Type.Optional(ImageUrl),
    tags: Type.Optional(Tags),
    attributes: Type.Optional(Attributes),
    priceChangeReason: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Why the price changes (only with priceCents); carried by the PriceChanged event, not stored.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Category = Type.Object({
  id: Uuid,
  slug: Slug,
  name: Name,
  description: Description,
  parentId: Type.Union([Uuid, Type.Null()]),
  /** Products in this category and all its subcategories. */
  productCount: Type.Integer(),
});

export const CategoryList = Type.Object({ items: Type.Array(Category) });

export const CreateCategoryBody = Type.Object(
  {
    slug: Slug,
    name: Name,
    description: Type.Optional(Description),
    parentId: Type.Optional(Type.Union([Uuid, Type.Null()])),
  },
  { additionalProperties: false },
);

export type Product = Static<typeof Product>;
export type ProductSort = Static<typeof ProductSort>;
export type ProductListQuery = Static<typeof ProductListQuery>;
export type ProductPage = Static<typeof ProductPage>;
export type CreateProductBody = Static<typeof CreateProductBody>;
export type UpdateProductBody = Static<typeof UpdateProductBody>;
export type Category = Static<typeof Category>;
export type CategoryList = Static<typeof CategoryList>;
export type CreateCategoryBody = Static<typeof CreateCategoryBody>;

// ---- events ------------------------------------------------------------------
// Published through the outbox in the transaction of the write they announce.
// Content models stay open (no additionalProperties: false), so a consumer on
// an older schema accepts the optional fields a newer one adds. Event fields
// are looser than the API's (currency is any ISO 4217 code, not just EUR):
// widening an event field later would be a breaking schema change.

const EventCurrency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code.' });
const EventPrice = Type.Integer({ minimum: 1, description: 'Minor units (cents).' });

/** A product was added by an admin (not by the seed: loading demo data is an import, not a business event). */
export const ProductCreated = defineEvent({
  source: 'catalog',
  name: 'ProductCreated',
  schema: Type.Object({
    productId: Uuid,
    sku: Type.String({ minLength: 1 }),
    slug: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    categoryId: Uuid,
    priceCents: EventPrice,
    currency: EventCurrency,
    createdAt: Timestamp,
  }),
});
export type ProductCreated = Static<typeof ProductCreated.schema>;

const PriceChangedV1Fields = {
  productId: Uuid,
  oldPriceCents: EventPrice,
  newPriceCents: EventPrice,
  /** The product's currency after the change (a change of currency alone is not a price change). */
  currency: EventCurrency,
};

/**
 * Version 1 of `souk.catalog.PriceChanged`, the first schema registered.
 * Historical: kept so the schema registry's compatibility tests (and readers
 * of old events) have it; the catalog publishes `PriceChanged` (v2).
 */
export const PriceChangedV1 = defineEvent({
  source: 'catalog',
  name: 'PriceChanged',
  schema: Type.Object(PriceChangedV1Fields),
});
export type PriceChangedV1 = Static<typeof PriceChangedV1.schema>;

/**
 * Version 2 (current) of `souk.catalog.PriceChanged`: v1 plus the optional
 * `reason`. BACKWARD compatible in the schema registry (v2 reads every v1
 * event: the new field is optional), and v1 consumers accept v2 events because
 * they check payloads against their contract as written (open content model).
 */
export const PriceChanged = defineEvent({
  source: 'catalog',
  name: 'PriceChanged',
  schema: Type.Object({
    ...PriceChangedV1Fields,
    reason: Type.Optional(
      Type.String({ maxLength: 200, description: "The update request's priceChangeReason, when it gave one." }),
    ),
  }),
});
export type PriceChanged = Static<typeof PriceChanged.schema>;

/**
 * A product's name changed (`PATCH /products/{id}` with another `name`): consumers that keep a copy
 * of what the shop sells (orders prices and names order lines from its own) follow it.
 */
export const ProductRenamed = defineEvent({
  source: 'catalog',
  name: 'ProductRenamed',
  schema: Type.Object({
    productId: Uuid,
    oldName: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
  }),
});
export type ProductRenamed = Static<typeof ProductRenamed.schema>;

/** A product was deleted (`DELETE /products/{id}`): it can no longer be sold. */
export const ProductDeleted = defineEvent({
  source: 'catalog',
  name: 'ProductDeleted',
  schema: Type.Object({
    productId: Uuid,
    sku: Type.String({ minLength: 1 }),
    deletedAt: Timestamp,
  }),
});
export type ProductDeleted = Static<typeof ProductDeleted.schema>;
