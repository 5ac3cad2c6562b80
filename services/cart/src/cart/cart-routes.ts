// HTTP routes of the caller's cart. Every route is the caller's own: the
// token's subject is the user (orders reads its lines with the user's token
// too). Writes answer with the whole cart they committed.

import { userIdOf, type Identity, type ServiceContext } from '@souk/chassis';
import { AddItemBody, API_PREFIX, Cart, CartLines, ItemParams, SetQuantityBody } from '../../contract.ts';
import type { CatalogPrices } from '../prices/catalog-prices.ts';
import type { CartReader } from './cart-view.ts';
import type { CartStore } from './cart-store.ts';

const userOf = (identity: Identity | undefined) => userIdOf(identity, 'Carts belong to users');

export interface CartRouteDeps {
  store: CartStore;
  reader: CartReader;
  catalog: CatalogPrices;
}

export function registerCartRoutes(ctx: ServiceContext, { store, reader, catalog }: CartRouteDeps): void {
  const { app } = ctx;
  // onRequest: the caller is checked before the input, so an anonymous bad request is a 401.
  const user = ctx.auth.required();
  const tags = ['cart'];

  app.get(
    API_PREFIX,
    {
      onRequest: user,
      schema: {
        summary: "The caller's cart with current prices (cached ones, marked stale, when catalog is slow)",
        tags,
        response: { 200: Cart },
      },
    },
    async (request) => reader.read(userOf(request.identity)),
  );

  app.get(
    `${API_PREFIX}/lines`,
    {
      onRequest: user,
      schema: {
        summary: "The caller's cart lines without prices (what orders reads at checkout; it prices them itself)",
        tags,
        response: { 200: CartLines },
      },
    },
    async (request) => {
      const cart = await store.read(userOf(request.identity));
      return { items: cart?.lines ?? [], expiresAt: cart && cart.lines.length > 0 ? cart.expiresAt.toISOString() : null };
    },
  );

  app.post(
    `${API_PREFIX}/items`,
    {
      onRequest: user,
      schema: {
        summary: 'Add units of a product (to its line if it is in the cart already)',
        tags,
        body: AddItemBody,
        response: { 200: Cart },
      },
    },
    async (request) => {
      const userId = userOf(request.identity);
      // Checked first (with catalog, unless it answered for the product lately): an unknown product is refused
      // before the cart is touched.
      const product = await catalog.product(request.body.productId.toLowerCase());
      return reader.show(userId, await store.add(userId, product.productId, request.body.quantity ?? 1));
    },
  );

  app.patch(
    `${API_PREFIX}/items/:productId`,
    {
      onRequest: user,
      schema: { summary: 'Set the quantity of a line', tags, params: ItemParams, body: SetQuantityBody, response: { 200: Cart } },
    },
    async (request) => {
      const userId = userOf(request.identity);
      return reader.show(userId, await store.setQuantity(userId, request.params.productId.toLowerCase(), request.body.quantity));
    },
  );

  app.delete(
    `${API_PREFIX}/items/:productId`,
    {
      onRequest: user,
      schema: { summary: 'Remove a line', tags, params: ItemParams, response: { 200: Cart } },
    },
    async (request) => {
      const userId = userOf(request.identity);
      return reader.show(userId, await store.remove(userId, request.params.productId.toLowerCase()));
    },
  );

  app.delete(
    API_PREFIX,
    {
      onRequest: user,
      schema: { summary: 'Empty the cart', tags },
    },
    async (request, reply) => {
      await store.clear(userOf(request.identity));
      return reply.code(204).send();
    },
  );
}
