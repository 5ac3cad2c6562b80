// Error codes of the saga engine: admin routes, and the failure recorded when
// a step's attempt runs out of time.

import { defineErrors } from '../errors/errors.ts';

export const sagaErrors = defineErrors({
  notFound: {
    code: 'SOUK_SAGA_NOT_FOUND',
    status: 404,
    title: 'Saga not found',
    description: 'No saga with this id exists in this service.',
  },
  notParked: {
    code: 'SOUK_SAGA_NOT_PARKED',
    status: 409,
    title: 'The saga is not parked',
    description:
      'Only a PARKED saga can be retried by an operator; `status` tells where it stands (a running saga retries by itself).',
  },
  attemptTimedOut: {
    code: 'SOUK_SAGA_ATTEMPT_TIMEOUT',
    status: 504,
    title: 'A saga step attempt took too long',
    retryable: true,
    description:
      'One attempt of a step or compensation exceeded its timeout; it is retried until the step deadline, then the saga compensates.',
  },
});
