// GET /api/v1/home as one composition: featured products, the caller's cart
// and recommendations fetched in parallel, each part degrading on its own, and
// recommendations falling back to bestsellers (live, then the last good answer
// kept here, then catalogue products) when they fail or are too slow.

import type {
  CartSummary,
  HomePage,
  HomeProduct,
  HomeSectionName,
  RecommendationsSection,
  RecommendedProduct,
} from '../../contract.ts';
import { BestsellersCache } from './bestsellers-cache.ts';
import { describeFailure, withDeadline } from './deadline.ts';

/** Where the parts come from; each honours `signal` (the gateway gave up on it). */
export interface HomeSources {
  featured(signal: AbortSignal): Promise<HomeProduct[]>;
  cart(authorization: string, signal: AbortSignal): Promise<CartSummary>;
  /** Products bought together with these, best first, the given ones left out. */
  recommendationsFor(productIds: readonly string[], signal: AbortSignal): Promise<RecommendedProduct[]>;
  bestsellers(signal: AbortSignal): Promise<RecommendedProduct[]>;
}

export interface HomeTimeouts {
  featuredMs: number;
  cartMs: number;
  /** The whole recommendations part, fallback decision included: tight, it is the least important. */
  recommendationsMs: number;
}

export interface HomeCaller {
  /** The caller's bearer header, when a user token was verified; cart is only asked for then. */
  authorization?: string;
  /** True when the caller sent a token that could not be checked right now (identity's keys unreachable). */
  unverified?: boolean;
}

/** What happened to each part, for metrics and logs. */
export interface HomeOutcome {
  page: HomePage;
  /** Why each degraded section is degraded. */
  failures: Partial<Record<HomeSectionName, string>>;
}

export interface HomePageBuilder {
  build(caller: HomeCaller): Promise<HomeOutcome>;
}

export function createHomePage(deps: {
  sources: HomeSources;
  timeouts: HomeTimeouts;
  cache?: BestsellersCache;
  clock: { now(): number };
  /** How many products the catalogue fallback shows (the recommendations limit). */
  fallbackLimit: number;
  /** Told about every failed part (for logs); the page itself only says which part and why in a sentence. */
  onFailure?: (part: string, err: unknown) => void;
}): HomePageBuilder {
  const { sources, timeouts } = deps;
  const cache = deps.cache ?? new BestsellersCache();

  async function recommendations(
    cart: Promise<CartSummary | undefined>,
    featured: Promise<HomeProduct[] | undefined>,
    failures: HomeOutcome['failures'],
  ): Promise<RecommendationsSection | null> {
    const summary = await cart;
    const productIds = summary?.productIds ?? [];
    const personal = productIds.length > 0;
    let live: RecommendationsSection;
    try {
      live = await withDeadline<RecommendationsSection>(
        timeouts.recommendationsMs,
        async (signal) => {
          if (personal) {
            const items = await sources.recommendationsFor(productIds, signal);
            if (items.length > 0) return { source: 'recommendations', degraded: false, items };
          }
          // Without a cart to start from (anonymous, empty, or unreadable) bestsellers are the answer, not a fallback.
          const items = await sources.bestsellers(signal);
          cache.remember(items, deps.clock.now());
          const reason = personal
            ? "Nothing has been bought together with the cart's products yet: bestsellers instead."
            : failures.cart
              ? 'The cart could not be read: bestsellers instead of picks for it.'
              : undefined;
          return { source: 'bestsellers', degraded: false, ...(reason ? { reason } : {}), items };
        },
        'recommendations',
      );
    } catch (err) {
      deps.onFailure?.('recommendations', err);
      const why = describeFailure('recommendations', err, timeouts.recommendationsMs);
      failures.recommendations = why;
      const kept = cache.last();
      if (kept) {
        const asOf = new Date(kept.at).toISOString();
        return {
          source: 'bestsellers-cache',
          degraded: true,
          reason: `${why}; showing the bestsellers of ${asOf}.`,
          asOf,
          items: kept.items,
        };
      }
      const products = await featured;
      if (!products) return null;
      return {
        source: 'catalog',
        degraded: true,
        reason: `${why}; no bestsellers kept yet, showing catalogue products.`,
        items: fromProducts(products),
      };
    }
    if (live.items.length > 0) return live;
    // A shop without sales yet has no bestsellers: catalogue products fill the section (nothing failed).
    const products = await featured;
    if (!products) return live;
    return {
      source: 'catalog',
      degraded: false,
      reason: 'No bestsellers yet: catalogue products instead.',
      items: fromProducts(products),
    };
  }

  function fromProducts(products: readonly HomeProduct[]): RecommendedProduct[] {
    return products.slice(0, deps.fallbackLimit).map((p) => ({
      productId: p.id,
      name: p.name,
      priceCents: p.priceCents,
      currency: p.currency,
      imageUrl: p.imageUrl,
      count: null,
    }));
  }

  return {
    async build(caller) {
      const failures: HomeOutcome['failures'] = {};
      const featured = withDeadline(timeouts.featuredMs, (signal) => sources.featured(signal), 'catalog').catch(
        (err: unknown) => {
          deps.onFailure?.('catalog', err);
          failures.featured = describeFailure('catalog', err, timeouts.featuredMs);
          return undefined;
        },
      );
      let cart: Promise<CartSummary | undefined> = Promise.resolve(undefined);
      if (caller.authorization) {
        const authorization = caller.authorization;
        cart = withDeadline(timeouts.cartMs, (signal) => sources.cart(authorization, signal), 'cart').catch((err: unknown) => {
          deps.onFailure?.('cart', err);
          failures.cart = describeFailure('cart', err, timeouts.cartMs);
          return undefined;
        });
      } else if (caller.unverified) {
        failures.cart = 'The access token could not be checked (identity unreachable): the cart is left out.';
      }
      const [products, summary, recs] = await Promise.all([featured, cart, recommendations(cart, featured, failures)]);
      const degraded: HomeSectionName[] = [];
      if (failures.featured) degraded.push('featured');
      if (failures.cart) degraded.push('cart');
      if (failures.recommendations) degraded.push('recommendations');
      return {
        page: {
          featured: products ? { items: products } : null,
          cart: summary ?? null,
          recommendations: recs,
          degraded,
        },
        failures,
      };
    },
  };
}
