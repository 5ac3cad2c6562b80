// A small client of the shop's public API through the gateway, as a storefront
// or a load generator uses it: sign-up, login, cart, checkout, orders. Shared
// by the system tests and bench/checkout.

import { randomUUID } from 'node:crypto';

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export const PASSWORD = 'Correct-Horse-Battery-9';

/** Far above anything a test or bench sends from one address. */
const UNLIMITED = { perSecond: 100_000, burst: 100_000 };

/**
 * Identity's budgets per client address (40 sign-ups, 60 token requests at once) and the gateway's limits
 * per address (sign-ins, anonymous reads) are for one household: a test or bench with hundreds of shoppers,
 * all on 127.0.0.1, raises them (the devhost passes them on). Each signed-in shopper keeps the gateway's
 * default limits for writes and checkouts.
 */
export const ONE_ADDRESS_IDENTITY_ENV: Readonly<Record<string, string>> = {
  IDENTITY_SIGNUP_PER_IP_BURST: '100000',
  IDENTITY_TOKEN_PER_IP_BURST: '100000',
  GATEWAY_RATE_LIMITS: JSON.stringify({ auth: UNLIMITED, read: UNLIMITED }),
};
const TOKEN_PATH = '/api/v1/identity/oauth/token';

/** `fetch` replaces the global one (the harness's, with the devhost's client certificate, for calls straight to an instance). */
export async function json<T = any>(
  url: string,
  init: RequestInit & { token?: string; fetch?: (url: string, init: RequestInit) => Promise<Response> } = {},
): Promise<Answer<T>> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const { fetch: fetchFn = fetch, token: _token, ...rest } = init;
  const res = await fetchFn(url, { ...rest, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

export interface Shopper {
  email: string;
  userId: string;
  token: string;
}

export function shop(gateway: string) {
  const api = (path: string, init: RequestInit & { token?: string } = {}) => json(`${gateway}${path}`, init);

  async function login(email: string, password: string): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'password', client_id: 'storefront', username: email, password });
    const res = await api(TOKEN_PATH, {
      method: 'POST',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    if (res.status !== 200) throw new Error(`login of ${email}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.access_token as string;
  }

  return {
    api,
    login,

    /** A new customer account, signed in. */
    async signUp(name = 'Shopper'): Promise<Shopper> {
      const email = `${name.toLowerCase()}-${randomUUID().slice(0, 12)}@example.com`;
      const res = await api('/api/v1/identity/signup', {
        method: 'POST',
        body: JSON.stringify({ email, password: PASSWORD, name }),
      });
      if (res.status !== 202) throw new Error(`sign-up: ${res.status} ${JSON.stringify(res.body)}`);
      // Sign-up answers alike for new and taken emails, without the account: its id comes from /me.
      const token = await login(email, PASSWORD);
      const me = await api('/api/v1/identity/me', { token });
      if (me.status !== 200) throw new Error(`/me after sign-up: ${me.status} ${JSON.stringify(me.body)}`);
      return { email, userId: me.body.id as string, token };
    },

    setStock(adminToken: string, productId: string, onHand: number) {
      return api(`/api/v1/inventory/${productId}`, { method: 'PUT', token: adminToken, body: JSON.stringify({ onHand }) });
    },

    stockOf: (productId: string) => api(`/api/v1/inventory/${productId}`),

    addToCart(token: string, productId: string, quantity: number) {
      return api('/api/v1/cart/items', { method: 'POST', token, body: JSON.stringify({ productId, quantity }) });
    },

    cart: (token: string) => api('/api/v1/cart', { token }),

    /** POST /api/v1/orders; `waitSeconds` asks the server to answer once the order is final (Prefer: wait). */
    checkout(token: string, options: { key?: string; paymentMethod?: string; waitSeconds?: number } = {}) {
      const headers: Record<string, string> = { 'idempotency-key': options.key ?? randomUUID() };
      if (options.waitSeconds) headers.prefer = `wait=${options.waitSeconds}`;
      const body = options.paymentMethod ? { paymentMethod: options.paymentMethod } : {};
      return api('/api/v1/orders', { method: 'POST', token, headers, body: JSON.stringify(body) });
    },

    order: (token: string, id: string) => api(`/api/v1/orders/${id}`, { token }),
    saga: (token: string, id: string) => api(`/api/v1/orders/${id}/saga`, { token }),
    history: (token: string) => api('/api/v1/order-history', { token }),
    notifications: (token: string) => api('/api/v1/notifications', { token }),
  };
}

export type Shop = ReturnType<typeof shop>;
