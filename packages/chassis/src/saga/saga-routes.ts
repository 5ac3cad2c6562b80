// Operator routes for a service's sagas (admin role): list them by status,
// look at one with its steps and full log, and retry a PARKED one.

import { Type } from 'typebox';
import type { PreHandler } from '../auth/auth-hooks.ts';
import type { App } from '../server/app.ts';
import { sagaErrors } from './errors.ts';
import { SAGA_STATUSES } from './saga-definition.ts';
import type { SagaRunner } from './saga-runner.ts';

export const SAGA_ADMIN_PATH = '/_admin/sagas';

const SagaStatusSchema = Type.Union(SAGA_STATUSES.map((s) => Type.Literal(s)));
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

export function registerSagaRoutes(app: App, runner: SagaRunner, admin: PreHandler): void {
  app.get(
    SAGA_ADMIN_PATH,
    {
      onRequest: admin,
      schema: {
        hide: true,
        querystring: Type.Object({
          status: Type.Optional(SagaStatusSchema),
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
      },
    },
    async (req) => ({ sagas: await runner.list(req.query) }),
  );

  app.get(`${SAGA_ADMIN_PATH}/:id`, { onRequest: admin, schema: { hide: true, params: IdParams } }, async (req) => {
    const saga = await runner.get(req.params.id);
    if (!saga) throw sagaErrors.notFound({ detail: `No saga ${req.params.id}`, extensions: { id: req.params.id } });
    return saga;
  });

  app.post(`${SAGA_ADMIN_PATH}/:id/retry`, { onRequest: admin, schema: { hide: true, params: IdParams } }, async (req) =>
    runner.retry(req.params.id, `operator:${req.identity?.subject ?? 'unknown'}`),
  );
}
