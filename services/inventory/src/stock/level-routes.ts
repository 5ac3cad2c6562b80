// HTTP routes of stock levels: anyone may read them (the storefront shows
// "in stock"); an admin or a service granted inventory:levels:write sets them.

import { chassisErrors, type Auth, type Capability, type ServiceContext } from '@souk/chassis';
import {
  API_PREFIX,
  LevelListQuery,
  LevelParams,
  MAX_PRODUCT_IDS,
  PutLevelBody,
  StockLevel,
  StockLevelList,
  UUID_PATTERN,
} from '../../contract.ts';
import type { LevelStore } from './level-store.ts';

const UUID = new RegExp(UUID_PATTERN);

/** The ids of `?productIds=a,b,c`, or a 400 naming the first that is not a UUID. */
export function parseProductIds(text: string): string[] {
  const ids = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const bad = ids.find((id) => !UUID.test(id));
  const problem =
    bad !== undefined
      ? `"${bad}" is not a product id (UUID)`
      : ids.length === 0
        ? 'names no product id'
        : ids.length > MAX_PRODUCT_IDS
          ? `names more than ${MAX_PRODUCT_IDS} product ids`
          : undefined;
  if (problem) {
    throw chassisErrors.invalidRequest({
      detail: `productIds ${problem}.`,
      extensions: { errors: [{ in: 'querystring', path: '/productIds', message: problem }] },
    });
  }
  return ids;
}

const LEVELS_WRITE: Capability = 'inventory:levels:write';

/** Authenticated, with the role admin or the capability inventory:levels:write (a service acting on its own behalf). */
export function adminOrLevelWriter(auth: Auth): ReturnType<Auth['required']> {
  const authenticated = auth.required();
  return async (request, reply) => {
    await authenticated(request, reply);
    const identity = request.identity!;
    if (!identity.roles.includes('admin') && !identity.scopes.includes(LEVELS_WRITE)) {
      throw chassisErrors.forbidden(`This needs the role admin or the scope ${LEVELS_WRITE}.`);
    }
  };
}

export function registerLevelRoutes(ctx: ServiceContext, levels: LevelStore): void {
  const { app } = ctx;
  const tags = ['stock levels'];

  app.get(
    API_PREFIX,
    {
      schema: {
        summary: 'Stock levels of several products (unknown ones: 0 units)',
        tags,
        querystring: LevelListQuery,
        response: { 200: StockLevelList },
      },
    },
    async (request) => ({ items: await levels.list(parseProductIds(request.query.productIds)) }),
  );

  app.get(
    `${API_PREFIX}/:productId`,
    {
      schema: { summary: "A product's stock level", tags, params: LevelParams, response: { 200: StockLevel } },
    },
    async (request) => levels.get(request.params.productId),
  );

  app.put(
    `${API_PREFIX}/:productId`,
    {
      // onRequest: the caller is checked before the input, so an anonymous bad request is a 401.
      onRequest: adminOrLevelWriter(ctx.auth),
      schema: {
        summary: "Set a product's units on hand (admin or inventory:levels:write)",
        tags,
        params: LevelParams,
        body: PutLevelBody,
        response: { 200: StockLevel },
      },
    },
    async (request) => levels.put(request.params.productId, request.body),
  );
}
