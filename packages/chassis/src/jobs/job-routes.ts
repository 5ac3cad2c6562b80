// Operator routes for a service's jobs (admin role): list them by status and
// kind, look at one, and retry a PARKED one (or skip a PENDING one's backoff).

import { Type } from 'typebox';
import type { PreHandler } from '../auth/auth-hooks.ts';
import type { App } from '../server/app.ts';
import { jobErrors } from './errors.ts';
import type { JobRunner } from './job-runner.ts';
import { JOB_STATUSES } from './job-store.ts';

export const JOB_ADMIN_PATH = '/_admin/jobs';

const JobStatusSchema = Type.Union(JOB_STATUSES.map((s) => Type.Literal(s)));
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

export function registerJobRoutes(app: App, runner: JobRunner, admin: PreHandler): void {
  app.get(
    JOB_ADMIN_PATH,
    {
      onRequest: admin,
      schema: {
        hide: true,
        querystring: Type.Object({
          status: Type.Optional(JobStatusSchema),
          kind: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
      },
    },
    async (req) => ({ jobs: await runner.list(req.query) }),
  );

  app.get(`${JOB_ADMIN_PATH}/:id`, { onRequest: admin, schema: { hide: true, params: IdParams } }, async (req) => {
    const job = await runner.get(req.params.id);
    if (!job) throw jobErrors.notFound({ detail: `No job ${req.params.id}`, extensions: { id: req.params.id } });
    return job;
  });

  app.post(`${JOB_ADMIN_PATH}/:id/retry`, { onRequest: admin, schema: { hide: true, params: IdParams } }, async (req) =>
    runner.retry(req.params.id, `operator:${req.identity?.subject ?? 'unknown'}`),
  );
}
