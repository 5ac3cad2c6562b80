// The gateway's own API: TypeBox schemas of the aggregation endpoints it
// serves itself (GET /api/v1/home), used for the response and the OpenAPI document.

import { Type, type Static } from 'typebox';

export const HOME_PATH = '/api/v1/home';

/** The sections of the home page; a failed one is listed in `degraded`. */
export const HomeSectionName = Type.Union([Type.Literal('featured'), Type.Literal('cart'), Type.Literal('recommendations')]);
export type HomeSectionName = Static<typeof HomeSectionName>;

export const HomeProduct = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer(),
  currency: Type.String(),
  imageUrl: Type.String(),
});
export type HomeProduct = Static<typeof HomeProduct>;

export const FeaturedSection = Type.Object({
  /** The newest products of the catalogue. */
  items: Type.Array(HomeProduct),
});
export type FeaturedSection = Static<typeof FeaturedSection>;

export const CartSummary = Type.Object({
  itemCount: Type.Integer({ description: 'Units in the cart, all lines together.' }),
  totalCents: Type.Integer(),
  currency: Type.String(),
  /** True when cart could not reach catalog and some prices are its last known ones. */
  stale: Type.Boolean(),
  productIds: Type.Array(Type.String(), {
    description: 'The products in the cart (what personalised recommendations start from).',
  }),
});
export type CartSummary = Static<typeof CartSummary>;

export const RecommendationSource = Type.Union(
  [Type.Literal('recommendations'), Type.Literal('bestsellers'), Type.Literal('bestsellers-cache'), Type.Literal('catalog')],
  {
    description:
      "recommendations: bought together with the cart's products; bestsellers: live bestsellers; " +
      'bestsellers-cache: the last bestsellers the gateway got (recommendations failed); catalog: catalogue products (nothing better was available).',
  },
);
export type RecommendationSource = Static<typeof RecommendationSource>;

export const RecommendedProduct = Type.Object({
  productId: Type.String(),
  /** Null when the answer that named the product did not carry it (recommendations may give ids and counts only). */
  name: Type.Union([Type.String(), Type.Null()]),
  priceCents: Type.Union([Type.Integer(), Type.Null()]),
  currency: Type.Union([Type.String(), Type.Null()]),
  imageUrl: Type.Union([Type.String(), Type.Null()]),
  /** How often it was bought (with the cart's products, or at all); null for catalogue fallbacks. */
  count: Type.Union([Type.Integer(), Type.Null()]),
});
export type RecommendedProduct = Static<typeof RecommendedProduct>;

export const RecommendationsSection = Type.Object({
  source: RecommendationSource,
  /** True when recommendations failed or were too slow and a fallback stands in. */
  degraded: Type.Boolean(),
  reason: Type.Optional(Type.String({ description: 'Why the source is not the preferred one.' })),
  /** When the gateway got the answer shown (only for bestsellers-cache). */
  asOf: Type.Optional(Type.String({ format: 'date-time' })),
  items: Type.Array(RecommendedProduct),
});
export type RecommendationsSection = Static<typeof RecommendationsSection>;

export const HomePage = Type.Object({
  /** Null when catalog failed (then `degraded` lists `featured`). */
  featured: Type.Union([FeaturedSection, Type.Null()]),
  /** Null for an anonymous caller, or when cart failed (then `degraded` lists `cart`). */
  cart: Type.Union([CartSummary, Type.Null()]),
  /** Null only when recommendations failed and no fallback had anything to show. */
  recommendations: Type.Union([RecommendationsSection, Type.Null()]),
  /** The sections that are missing or stand-ins; empty when the page is whole. */
  degraded: Type.Array(HomeSectionName),
});
export type HomePage = Static<typeof HomePage>;
