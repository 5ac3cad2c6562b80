// Error codes of the jobs module's admin routes.

import { defineErrors } from '../errors/errors.ts';

export const jobErrors = defineErrors({
  notFound: {
    code: 'SOUK_JOB_NOT_FOUND',
    status: 404,
    title: 'Job not found',
    description: 'No background job with this id exists in this service.',
  },
  done: {
    code: 'SOUK_JOB_DONE',
    status: 409,
    title: 'The job is done',
    description: 'A job that succeeded is not run again by an operator; only PARKED (or PENDING) jobs can be retried.',
  },
});
