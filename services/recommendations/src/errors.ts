// The recommendations service's error codes; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  queryInvalid: {
    code: 'SOUK_RECOMMENDATIONS_QUERY_INVALID',
    status: 400,
    title: 'The recommendations query is not valid',
    description: 'Give exactly one of `productId` or `productIds`; `productIds` is 1 to 50 comma-separated product UUIDs.',
  },
});
