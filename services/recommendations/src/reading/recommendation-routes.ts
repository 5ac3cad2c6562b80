// Anonymous reads: products bought with one product or a cart, and
// bestsellers. To make them slow or failing on purpose (the gateway's
// fallbacks), set recommendations' `faults` at the config server.

import type { ServiceContext } from '@souk/chassis';
import {
  API_PREFIX,
  BestsellersQuery,
  Bestsellers,
  DEFAULT_LIMIT,
  MAX_BASKET,
  Recommendations,
  RecommendationsQuery,
  UUID_PATTERN,
} from '../../contract.ts';
import { dayOf } from '../counting/basket.ts';
import { errors } from '../errors.ts';
import type { RecommendationStore } from './recommendation-store.ts';

const UUID = new RegExp(UUID_PATTERN);

/** The product ids a query is about: exactly one of productId / productIds. */
export function basedOn(query: { productId?: string | undefined; productIds?: string | undefined }): string[] {
  if ((query.productId === undefined) === (query.productIds === undefined)) {
    throw errors.queryInvalid('Give exactly one of productId (one product) or productIds (a cart, comma-separated).');
  }
  if (query.productId !== undefined) return [query.productId.toLowerCase()];
  const ids = query.productIds!.split(',').map((s) => s.trim());
  const bad = ids.filter((id) => !UUID.test(id));
  if (bad.length > 0)
    throw errors.queryInvalid({
      detail: 'productIds must be product UUIDs separated by commas.',
      extensions: { invalid: bad.slice(0, 5) },
    });
  const distinct = [...new Set(ids.map((id) => id.toLowerCase()))];
  if (distinct.length > MAX_BASKET)
    throw errors.queryInvalid(`At most ${MAX_BASKET} products in productIds (got ${distinct.length}).`);
  return distinct;
}

export function registerRecommendationRoutes(ctx: ServiceContext, store: RecommendationStore): void {
  const tags = ['recommendations'];

  ctx.app.get(
    API_PREFIX,
    {
      schema: {
        summary: "Products most often bought with a product, or with a cart's products",
        tags,
        querystring: RecommendationsQuery,
        response: { 200: Recommendations },
      },
    },
    async (request) => {
      const ids = basedOn(request.query);
      return { basedOn: ids, items: await store.boughtWith(ids, request.query.limit ?? DEFAULT_LIMIT) };
    },
  );

  ctx.app.get(
    `${API_PREFIX}/bestsellers`,
    {
      schema: {
        summary: 'Products sold most, all time or over the last N days',
        tags,
        querystring: BestsellersQuery,
        response: { 200: Bestsellers },
      },
    },
    async (request) => {
      const { limit = DEFAULT_LIMIT, days } = request.query;
      const window = days === undefined ? undefined : { days, today: dayOf(new Date(ctx.clock.now())) };
      return { windowDays: days ?? null, items: await store.bestsellers(limit, window) };
    },
  );
}
