// /_admin/recommendations/behaviour (admin role): GET reads the delay and
// failure rate of this instance's reads, PATCH changes the fields it names,
// DELETE goes back to how the instance started. Each answers the behaviour now
// in force; the same verbs as shipping's and the payment provider's.

import type { ServiceContext } from '@souk/chassis';
import { ADMIN_BEHAVIOUR_PATH, Behaviour, BehaviourChange } from '../../contract.ts';
import type { BehaviourHook } from './behaviour.ts';

export function registerBehaviourRoutes(ctx: ServiceContext, behaviour: BehaviourHook): void {
  const admin = ctx.auth.required({ roles: ['admin'] });
  const tags = ['admin'];
  const response = { 200: Behaviour };

  ctx.app.get(
    ADMIN_BEHAVIOUR_PATH,
    { onRequest: admin, schema: { summary: 'The delay and failure rate reads get now', tags, response } },
    async () => behaviour.get(),
  );

  ctx.app.patch(
    ADMIN_BEHAVIOUR_PATH,
    {
      onRequest: admin,
      schema: {
        summary: 'Make reads slow or failing on purpose (this instance); fields left out keep their value',
        tags,
        body: BehaviourChange,
        response,
      },
    },
    async (request) => {
      const next = behaviour.change(request.body);
      ctx.log.warn({ behaviour: next, by: request.identity?.subject }, 'recommendations behaviour changed');
      return next;
    },
  );

  ctx.app.delete(
    ADMIN_BEHAVIOUR_PATH,
    { onRequest: admin, schema: { summary: 'Back to how the instance started (RECOMMENDATIONS_DELAY_MS)', tags, response } },
    async (request) => {
      const next = behaviour.reset();
      ctx.log.warn({ behaviour: next, by: request.identity?.subject }, 'recommendations behaviour reset');
      return next;
    },
  );
}
