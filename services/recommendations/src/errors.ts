// The recommendations service's error codes; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  queryInvalid: {
    code: 'SOUK_RECOMMENDATIONS_QUERY_INVALID',
    status: 400,
    title: 'The recommendations query is not valid',
    description: 'Give exactly one of `productId` or `productIds`; `productIds` is 1 to 50 comma-separated product UUIDs.',
  },
  injectedFailure: {
    code: 'SOUK_RECOMMENDATIONS_INJECTED_FAILURE',
    status: 503,
    title: 'Recommendations failed on purpose',
    retryable: true,
    description:
      "The admin behaviour hook (PATCH /_admin/recommendations/behaviour, failureRate) made this read fail, to exercise callers' fallbacks.",
  },
});
