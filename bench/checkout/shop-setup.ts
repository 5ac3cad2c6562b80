// What both checkout benches start from: the seeded products with stock no run
// can sell out, and shoppers signed up a few at a time.

import type { Devhost } from '../../tests/system/devhost-harness.ts';
import { shop, type Shopper, ONE_ADDRESS_IDENTITY_ENV } from '../../tests/system/shop-client.ts';

/**
 * Each sign-up is two scrypt computations at identity (the hash, then the password grant), ~0.1 s of CPU each:
 * four at a time keeps the gateway's 10 s timeout out of reach on a busy machine (ten at a time, at load 14, ran
 * past it and aborted the bench).
 */
const SIGN_UPS_AT_ONCE = 4;

const UNLIMITED = { perSecond: 1_000_000, burst: 1_000_000 };

/**
 * Every bench shopper signs up and signs in from 127.0.0.1: see ONE_ADDRESS_IDENTITY_ENV. Passed to the devhost.
 * The gateway's rate limits stay on (every request is counted) at limits no run reaches: a bench shopper
 * writes to its cart far faster than a person would.
 */
export const BENCH_IDENTITY_ENV: Record<string, string> = {
  ...ONE_ADDRESS_IDENTITY_ENV,
  GATEWAY_RATE_LIMITS: JSON.stringify({ read: UNLIMITED, write: UNLIMITED, checkout: UNLIMITED, auth: UNLIMITED }),
};

export interface BenchShop {
  s: ReturnType<typeof shop>;
  productIds: string[];
  shoppers: Shopper[];
}

export async function prepareShop(devhost: Devhost, shopperCount: number): Promise<BenchShop> {
  const s = shop(devhost.gateway);
  const admin = await s.login('admin@souk.local', await devhost.secret('admin-password'));
  const page = await s.api('/api/v1/catalog/products?pageSize=5');
  const productIds = (page.body.items as Array<{ id: string }>).map((p) => p.id);
  for (const id of productIds) await s.setStock(admin, id, 1_000_000);
  const shoppers: Shopper[] = [];
  for (let i = 0; i < shopperCount; i += SIGN_UPS_AT_ONCE)
    shoppers.push(
      ...(await Promise.all(Array.from({ length: Math.min(SIGN_UPS_AT_ONCE, shopperCount - i) }, () => s.signUp('Bench')))),
    );
  return { s, productIds, shoppers };
}
