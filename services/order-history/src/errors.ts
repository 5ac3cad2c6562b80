// The order-history service's error codes; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  notFound: {
    code: 'SOUK_ORDER_HISTORY_NOT_FOUND',
    status: 404,
    title: 'Order not found in the history',
    description:
      'The caller has no order with this id in the read model: it does not exist, belongs to another user, or its events have not arrived yet (see the projection lag).',
  },
  cursorInvalid: {
    code: 'SOUK_ORDER_HISTORY_CURSOR_INVALID',
    status: 400,
    title: 'The paging cursor is not valid',
    description: '`before` must be the `nextBefore` value of a previous page, unchanged.',
  },
  rebuildUnavailable: {
    code: 'SOUK_ORDER_HISTORY_REBUILD_UNAVAILABLE',
    status: 503,
    title: 'The read model cannot be rebuilt now',
    retryable: true,
    description:
      "The event transport needed to replay the producers' streams is not reachable (NATS not connected); try again later.",
  },
});
