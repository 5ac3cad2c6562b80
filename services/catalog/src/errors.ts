// The catalog's error codes; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  productNotFound: {
    code: 'SOUK_CATALOG_PRODUCT_NOT_FOUND',
    status: 404,
    title: 'Product not found',
    description: 'No product has this id (or slug); it may have been deleted.',
  },
  productConflict: {
    code: 'SOUK_CATALOG_PRODUCT_CONFLICT',
    status: 409,
    title: 'A product with this SKU or slug already exists',
    description: 'SKUs and slugs are unique across the catalog; `field` names the one that clashed. Choose another value.',
  },
  categoryNotFound: {
    code: 'SOUK_CATALOG_CATEGORY_NOT_FOUND',
    status: 404,
    title: 'Category not found',
    description: 'No category has this id (or slug).',
  },
  categoryUnknown: {
    code: 'SOUK_CATALOG_CATEGORY_UNKNOWN',
    status: 422,
    title: 'The referenced category does not exist',
    description: "A product's categoryId or a category's parentId names no existing category; create the category first.",
  },
  categoryConflict: {
    code: 'SOUK_CATALOG_CATEGORY_CONFLICT',
    status: 409,
    title: 'A category with this slug already exists',
    description: 'Category slugs are unique; choose another slug.',
  },
  priceRangeInvalid: {
    code: 'SOUK_CATALOG_PRICE_RANGE_INVALID',
    status: 400,
    title: 'The price range is empty',
    description: 'minPrice is greater than maxPrice, so no product could match; swap or correct them.',
  },
});
