// Stand-ins for cart, catalog, inventory and payments in the orders service's
// tests: plain HTTP servers that record every request and answer as the test
// says (the real services' APIs, problem+json included).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Answers one request; undefined = the default answer; 'hang' = never answer (until the caller gives up). */
export type Handler = (req: Recorded) => Answer | 'hang' | undefined | Promise<Answer | 'hang' | undefined>;

export interface Fake {
  url: string;
  requests: Recorded[];
  /** Requests whose path matches, in order. */
  calls(pattern: RegExp): Recorded[];
  /** Replaces the handler (the default answers stay for what it leaves undefined). */
  on(handler: Handler | undefined): void;
  close(): Promise<void>;
}

export function problem(status: number, code: string, detail: string, extensions: Record<string, unknown> = {}): Answer {
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: { type: `urn:souk:problem:${code}`, title: code, status, detail, code, ...extensions },
  };
}

export async function fakeService(defaults: (req: Recorded) => Answer | Promise<Answer>): Promise<Fake> {
  let handler: Handler | undefined;
  const requests: Recorded[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    let text = '';
    req
      .setEncoding('utf8')
      .on('data', (c: string) => (text += c))
      .on('end', async () => {
        const recorded: Recorded = {
          method: req.method!,
          path: req.url!,
          headers: req.headers,
          body: text ? JSON.parse(text) : undefined,
        };
        requests.push(recorded);
        const answer = (await handler?.(recorded)) ?? (await defaults(recorded));
        if (answer === 'hang') {
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    calls: (pattern) => requests.filter((r) => pattern.test(`${r.method} ${r.path}`)),
    on: (h) => void (handler = h),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const PRODUCT_A = 'a0000000-0000-4000-8000-00000000000a';
export const PRODUCT_B = 'b0000000-0000-4000-8000-00000000000b';

/** A product no stand-in catalog sells. */
export const PRODUCT_GONE = 'c0000000-0000-4000-8000-00000000000c';
/** Sold in dollars: with a euro product, a cart of two currencies. */
export const PRODUCT_USD = 'd0000000-0000-4000-8000-00000000000d';

/** What the stand-in catalog sells: a moka pot at 25.00 and paper filters at 3.99 (and one product in USD). */
export const CATALOG_PRODUCTS = [
  { id: PRODUCT_A, name: 'Moka pot', priceCents: 2500, currency: 'EUR' },
  { id: PRODUCT_B, name: 'Paper filters', priceCents: 399, currency: 'EUR' },
  { id: PRODUCT_USD, name: 'Kettle', priceCents: 1000, currency: 'USD' },
];

/** A line of the cart as orders reads it (GET /api/v1/cart/lines): no price. */
export function cartLine(productId: string, quantity: number) {
  return { productId, quantity };
}

export function cartOf(items: ReturnType<typeof cartLine>[]) {
  return { items, expiresAt: items.length ? new Date(Date.now() + 3_600_000).toISOString() : null };
}

/** Two moka pots and a filter: 2 × 25.00 + 3.99. */
export const DEFAULT_CART = cartOf([cartLine(PRODUCT_A, 2), cartLine(PRODUCT_B, 1)]);

export const fakeCart = () => fakeService(() => ({ status: 200, body: DEFAULT_CART }));

/**
 * Catalog's product list (by page, or by `ids`) over CATALOG_PRODUCTS, and an event feed with
 * nothing on it (each poll held up to a second, as the real feed holds it).
 */
export const fakeCatalog = () =>
  fakeService(async (req) => {
    const url = new URL(req.path, 'http://catalog');
    if (url.pathname === '/_events') {
      const after = Number(url.searchParams.get('after') ?? 0);
      await new Promise((resolve) => setTimeout(resolve, Math.min(Number(url.searchParams.get('waitMs') ?? 0), 1_000)));
      return { status: 200, body: { events: [], position: after, head: after } };
    }
    const ids = url.searchParams.get('ids')?.toLowerCase().split(',');
    const items = CATALOG_PRODUCTS.filter((p) => !ids || ids.includes(p.id)).map((p) => ({
      ...p,
      updatedAt: '2025-01-01T00:00:00.000Z',
    }));
    return { status: 200, body: { items, page: 1, pageSize: 100, total: items.length, totalPages: 1 } };
  });

export const fakeInventory = () =>
  fakeService((req) => {
    const id = /reservations\/([^/]+)/.exec(req.path)?.[1];
    if (req.method === 'PUT') {
      return {
        status: 201,
        body: {
          id,
          orderId: req.body.orderId,
          status: 'HELD',
          items: req.body.items,
          expiresAt: new Date(Date.now() + 600_000).toISOString(),
        },
      };
    }
    return {
      status: 200,
      body: { id, orderId: null, status: 'RELEASED', items: [], expiresAt: null, updatedAt: new Date().toISOString() },
    };
  });

export const fakePayments = () =>
  fakeService((req) => {
    const id = /payments\/([^/]+)/.exec(req.path)?.[1];
    const status = req.path.endsWith('/authorize') ? 'AUTHORIZED' : req.path.endsWith('/capture') ? 'CAPTURED' : 'VOIDED';
    return { status: 200, body: { id, status } };
  });
