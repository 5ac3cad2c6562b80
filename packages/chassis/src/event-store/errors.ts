// Error codes of the chassis event store; each is also listed in docs/errors.md.

import { defineErrors } from '../errors/errors.ts';

/** `eventStoreErrors.versionConflict.is(err)` tells a lost optimistic-concurrency race from other failures. */
export const eventStoreErrors = defineErrors({
  versionConflict: {
    code: 'SOUK_EVENT_STORE_VERSION_CONFLICT',
    status: 409,
    title: 'The stream changed meanwhile',
    retryable: true,
    description:
      'An append expected the stream at one version but another writer had moved it (optimistic concurrency): load the stream again, decide again, append again.',
  },
});
