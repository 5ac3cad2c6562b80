// Query-string rules of GET /products: defaults, effective sort, paging, price range.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PAGE_SIZE, SORTS } from '../../contract.ts';
import { effectiveSort, orderTerms, parseProductQuery, totalPages } from './product-query.ts';

describe('parseProductQuery', () => {
  test('a bare listing is sorted by name, first page, default page size', () => {
    assert.deepEqual(parseProductQuery({}), { sort: 'name', page: 1, pageSize: DEFAULT_PAGE_SIZE, offset: 0 });
  });

  test('a search defaults to relevance and trims and collapses whitespace', () => {
    const s = parseProductQuery({ q: '  pour   over\tkettle ' });
    assert.equal(s.text, 'pour over kettle');
    assert.equal(s.sort, 'relevance');
  });

  test('a blank q is no search at all', () => {
    const s = parseProductQuery({ q: '   ', sort: 'relevance' });
    assert.equal(s.text, undefined);
    assert.equal(s.sort, 'name');
  });

  test('an explicit sort wins over the default', () => {
    assert.equal(parseProductQuery({ q: 'mug', sort: '-price' }).sort, '-price');
    assert.equal(parseProductQuery({ sort: 'newest' }).sort, 'newest');
  });

  test('page and pageSize give the offset', () => {
    const s = parseProductQuery({ page: 3, pageSize: 25 });
    assert.equal(s.offset, 50);
    assert.equal(s.pageSize, 25);
  });

  test('filters pass through, including a zero minimum price', () => {
    const s = parseProductQuery({ category: 'audio', minPrice: 0, maxPrice: 5000 });
    assert.equal(s.categorySlug, 'audio');
    assert.equal(s.minPrice, 0);
    assert.equal(s.maxPrice, 5000);
  });

  test('an empty price range is a coded 400', () => {
    assert.throws(
      () => parseProductQuery({ minPrice: 5000, maxPrice: 100 }),
      (err: { code?: string; status?: number }) => {
        assert.equal(err.code, 'SOUK_CATALOG_PRICE_RANGE_INVALID');
        assert.equal(err.status, 400);
        return true;
      },
    );
    assert.doesNotThrow(() => parseProductQuery({ minPrice: 100, maxPrice: 100 }));
  });
});

describe('sorting', () => {
  test('relevance needs search text', () => {
    assert.equal(effectiveSort(undefined, true), 'relevance');
    assert.equal(effectiveSort(undefined, false), 'name');
    assert.equal(effectiveSort('relevance', false), 'name');
    assert.equal(effectiveSort('price', true), 'price');
  });

  test('every order ends on the id so pages are stable', () => {
    for (const sort of SORTS) {
      assert.equal(orderTerms(sort).at(-1)?.by, 'id', sort);
    }
  });

  test('each sort orders by what its name says', () => {
    assert.deepEqual(orderTerms('-price')[0], { by: 'price_cents', direction: 'desc' });
    assert.deepEqual(orderTerms('newest')[0], { by: 'created_at', direction: 'desc' });
    assert.deepEqual(orderTerms('relevance')[0], { by: 'rank', direction: 'desc' });
    assert.deepEqual(orderTerms('-name')[0], { by: 'name', direction: 'desc' });
  });
});

test('totalPages rounds up and is zero for no results', () => {
  assert.equal(totalPages(0, 20), 0);
  assert.equal(totalPages(1, 20), 1);
  assert.equal(totalPages(40, 20), 2);
  assert.equal(totalPages(41, 20), 3);
});
