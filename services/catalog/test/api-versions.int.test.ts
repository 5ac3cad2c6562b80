// Contract tests of catalog's two API versions side by side, against a real seeded catalog. Each answer is
// checked against its version's published schema, field for field (Fastify's serializer would drop or
// coerce a wrong field rather than fail, so this is the check); v1 says it is deprecated, when it goes and
// where to go; v2 differs from v1 only by the breaking change (money as { amount, currency }). The
// consumers' side: what cart reads from v1 (its price lookup) and what the gateway's home page reads.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import type { TObject } from 'typebox';
import {
  API_PREFIX,
  API_V2_PREFIX,
  ProductDetail,
  ProductDetailV2,
  ProductPage,
  ProductPageV2,
  V1_DEPRECATED_AT,
  V1_SUNSET_AT,
} from '../contract.ts';
import { CART_READS_FROM_CATALOG } from '../../cart/src/prices/catalog-prices.ts';
import { toProducts } from '../../../platform/gateway/src/home/home-sources.ts';
import { startCatalog, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startCatalog('catalog_versions');
});
after(async () => {
  await h.close();
});

async function get(path: string) {
  const res = await fetch(`${h.svc.url}${path}`);
  return { res, body: (await res.json()) as Record<string, any> };
}

/** Valid against the schema, and no field the schema does not name (at the top and in each item). */
function assertExactly(schema: TObject, value: unknown, what: string): void {
  const errors = [...Value.Errors(schema, value)].map((e) => `${e.instancePath} ${e.message}`);
  assert.deepEqual(errors, [], what);
  const extra = (v: Record<string, unknown>, s: TObject) => Object.keys(v).filter((k) => !(k in s.properties));
  assert.deepEqual(extra(value as Record<string, unknown>, schema), [], `${what}: fields not in the contract`);
}

describe('v1 (deprecated) and v2 side by side', () => {
  test('each version answers its own contract, pages and single products', async () => {
    const v1 = await get(`${API_PREFIX}/products?pageSize=5&sort=price`);
    const v2 = await get(`${API_V2_PREFIX}/products?pageSize=5&sort=price`);
    assert.equal(v1.res.status, 200);
    assert.equal(v2.res.status, 200);
    assertExactly(ProductPage, v1.body, 'v1 page');
    assertExactly(ProductPageV2, v2.body, 'v2 page');
    for (const item of v1.body.items) assertExactly(ProductPage.properties.items.items, item, 'v1 item');
    for (const item of v2.body.items) assertExactly(ProductPageV2.properties.items.items, item, 'v2 item');

    const id = v1.body.items[0].id as string;
    assertExactly(ProductDetail, (await get(`${API_PREFIX}/products/${id}`)).body, 'v1 product');
    assertExactly(ProductDetailV2, (await get(`${API_V2_PREFIX}/products/${id}`)).body, 'v2 product');
  });

  test('the one breaking change: priceCents and currency became price { amount, currency }, nothing else moved', async () => {
    const v1 = (await get(`${API_PREFIX}/products?pageSize=20&sort=-price`)).body;
    const v2 = (await get(`${API_V2_PREFIX}/products?pageSize=20&sort=-price`)).body;
    assert.equal(v2.items.length, v1.items.length);
    v1.items.forEach((old: Record<string, any>, i: number) => {
      const { priceCents, currency, ...rest } = old;
      const { price, ...restV2 } = v2.items[i];
      assert.deepEqual(restV2, rest);
      assert.equal(price.currency, currency);
      assert.equal(Math.round(Number(price.amount) * 100), priceCents, `${price.amount} for ${priceCents} cents`);
      assert.match(price.amount, /^\d+\.\d{2}$/);
    });
  });

  test('v1 answers with Deprecation, Sunset and a Link to its v2 successor; v2 does not', async () => {
    const v1 = await get(`${API_PREFIX}/products?pageSize=1`);
    assert.equal(v1.res.headers.get('deprecation'), `@${V1_DEPRECATED_AT.getTime() / 1000}`);
    assert.equal(v1.res.headers.get('sunset'), V1_SUNSET_AT.toUTCString());
    assert.equal(v1.res.headers.get('link'), `<${API_V2_PREFIX}/products?pageSize=1>; rel="successor-version"`);
    const id = v1.body.items[0].id as string;
    const one = await fetch(`${h.svc.url}${API_PREFIX}/products/${id}`);
    await one.arrayBuffer();
    assert.equal(one.headers.get('link'), `<${API_V2_PREFIX}/products/${id}>; rel="successor-version"`);
    const v2 = await get(`${API_V2_PREFIX}/products?pageSize=1`);
    assert.equal(v2.res.headers.get('deprecation'), null);
    assert.equal(v2.res.headers.get('sunset'), null);
  });
});

describe("v1's consumers still get what they read", () => {
  test("cart's price lookup: the products it asks for by id, with the fields it reads", async () => {
    const ids = (await get(`${API_PREFIX}/products?pageSize=3`)).body.items.map((p: { id: string }) => p.id);
    const answer = await get(`${API_PREFIX}/products?ids=${ids.join(',')}&pageSize=${ids.length}`);
    assert.equal(answer.res.status, 200);
    assert.equal(answer.body.items.length, 3);
    for (const item of answer.body.items) assert.deepEqual([...Value.Errors(CART_READS_FROM_CATALOG, item)], []);
  });

  test("the gateway's home page: the newest products become cards", async () => {
    const answer = await get(`${API_PREFIX}/products?sort=newest&pageSize=8`);
    const cards = toProducts(answer.body);
    assert.equal(cards.length, 8, 'every product made a card (none dropped for a missing field)');
  });
});
