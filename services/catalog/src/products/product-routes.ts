// HTTP routes of products: public search and lookup, admin create/update/delete.
// Schemas come from contract.ts, so the chassis rejects bad input with a 400
// problem before a handler runs.

import { chassisErrors, deprecated, httpCache, type ServiceContext } from '@souk/chassis';
import {
  API_PREFIX,
  API_V2_PREFIX,
  CreateProductBody,
  IdParams,
  Product,
  ProductDetail,
  ProductListQuery,
  ProductPage,
  ProductDetailV2,
  ProductPageV2,
  productV2,
  RefParams,
  UpdateProductBody,
  V1_DEPRECATED_AT,
  V1_SUNSET_AT,
} from '../../contract.ts';
import { parseProductQuery } from './product-query.ts';
import type { ProductStore } from './product-store.ts';
import type { StockLookup } from './stock-lookup.ts';

/** How long a cache may keep a page of products, and one product with its stock. */
export const LIST_MAX_AGE_SECONDS = 60;
export const DETAIL_MAX_AGE_SECONDS = 5;

export function registerProductRoutes(ctx: ServiceContext, products: ProductStore, stockOf: StockLookup): void {
  const { app } = ctx;
  // onRequest rather than preHandler: the caller is checked before the body is
  // parsed and validated, so an anonymous request gets 401 whatever it sent.
  const admin = ctx.auth.required({ roles: ['admin'] });
  const tags = ['products'];

  // v1's reads: deprecated since v2 (money as { amount, currency }), answering until their sunset.
  const v1 = deprecated({
    deprecatedAt: V1_DEPRECATED_AT,
    sunsetAt: V1_SUNSET_AT,
    successor: (request) => request.url.replace(API_PREFIX, API_V2_PREFIX),
  });
  // Any cache may keep a page for a minute; the gateway's drops it as soon as a product changes (its events).
  const listCache = httpCache({ maxAgeSeconds: LIST_MAX_AGE_SECONDS }).onSend;
  // Shorter for one product: the stock shown is inventory's, whose changes are not catalog's events.
  const detailCache = httpCache({ maxAgeSeconds: DETAIL_MAX_AGE_SECONDS }).onSend;
  const search = (query: Parameters<typeof parseProductQuery>[0]) => products.search(parseProductQuery(query));
  const detail = async (ref: string) => {
    const product = await products.get(ref);
    return { ...product, stock: await stockOf(product.id) };
  };

  app.get(
    `${API_PREFIX}/products`,
    {
      onSend: [v1, listCache],
      schema: {
        summary: 'Search and browse products (deprecated: use v2)',
        tags,
        deprecated: true,
        querystring: ProductListQuery,
        response: { 200: ProductPage },
      },
    },
    async (request) => search(request.query),
  );

  app.get(
    `${API_PREFIX}/products/:id`,
    {
      onSend: [v1, detailCache],
      schema: {
        summary: 'One product, by id or slug, with its current stock (deprecated: use v2)',
        tags,
        deprecated: true,
        params: RefParams,
        response: { 200: ProductDetail },
      },
    },
    async (request) => detail(request.params.id),
  );

  app.get(
    `${API_V2_PREFIX}/products`,
    {
      onSend: listCache,
      schema: {
        summary: 'Search and browse products; prices as { amount, currency }',
        tags,
        querystring: ProductListQuery,
        response: { 200: ProductPageV2 },
      },
    },
    async (request) => {
      const page = await search(request.query);
      return { ...page, items: page.items.map(productV2) };
    },
  );

  app.get(
    `${API_V2_PREFIX}/products/:id`,
    {
      onSend: detailCache,
      schema: {
        summary: 'One product, by id or slug, with its current stock; its price as { amount, currency }',
        tags,
        params: RefParams,
        response: { 200: ProductDetailV2 },
      },
    },
    async (request) => productV2(await detail(request.params.id)),
  );

  app.post(
    `${API_PREFIX}/products`,
    {
      onRequest: admin,
      schema: {
        summary: 'Create a product (admin)',
        tags,
        body: CreateProductBody,
        response: { 201: Product },
      },
    },
    async (request, reply) => {
      const product = await products.create(request.body);
      return reply.code(201).header('location', `${API_PREFIX}/products/${product.id}`).send(product);
    },
  );

  app.patch(
    `${API_PREFIX}/products/:id`,
    {
      onRequest: admin,
      schema: {
        summary: 'Change some fields of a product, such as its price (admin)',
        tags,
        params: IdParams,
        body: UpdateProductBody,
        response: { 200: Product },
      },
    },
    async (request) => {
      // The body schema requires one property, but should unknown fields ever be
      // stripped before that check, an update that changes nothing is still refused.
      const { priceChangeReason, ...changes } = request.body;
      if (Object.keys(changes).length === 0) {
        throw chassisErrors.invalidRequest({
          detail: 'The body names no field to change.',
          extensions: { errors: [{ in: 'body', path: '/', message: 'must name at least one field' }] },
        });
      }
      // A reason without a price would be silently dropped: say so instead.
      if (priceChangeReason !== undefined && changes.priceCents === undefined) {
        throw chassisErrors.invalidRequest({
          detail: 'priceChangeReason is only accepted together with priceCents.',
          extensions: { errors: [{ in: 'body', path: '/priceChangeReason', message: 'needs priceCents in the same request' }] },
        });
      }
      return products.update(request.params.id, request.body);
    },
  );

  app.delete(
    `${API_PREFIX}/products/:id`,
    {
      onRequest: admin,
      schema: {
        summary: 'Delete a product (admin)',
        tags,
        params: IdParams,
      },
    },
    async (request, reply) => {
      await products.remove(request.params.id);
      return reply.code(204).send();
    },
  );
}
