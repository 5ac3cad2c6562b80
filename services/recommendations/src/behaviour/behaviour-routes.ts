// GET/PUT /_admin/recommendations/behaviour (admin role): read and set the
// delay and failure rate of this instance's reads.

import type { ServiceContext } from '@souk/chassis';
import { ADMIN_BEHAVIOUR_PATH, Behaviour } from '../../contract.ts';
import type { BehaviourHook } from './behaviour.ts';

export function registerBehaviourRoutes(ctx: ServiceContext, behaviour: BehaviourHook): void {
  const admin = ctx.auth.required({ roles: ['admin'] });
  const tags = ['admin'];

  ctx.app.get(
    ADMIN_BEHAVIOUR_PATH,
    {
      onRequest: admin,
      schema: { summary: 'The delay and failure rate reads get now', tags, response: { 200: Behaviour } },
    },
    async () => behaviour.get(),
  );

  ctx.app.put(
    ADMIN_BEHAVIOUR_PATH,
    {
      onRequest: admin,
      schema: {
        summary: 'Make reads slow or failing on purpose (this instance)',
        tags,
        body: Behaviour,
        response: { 200: Behaviour },
      },
    },
    async (request) => {
      const next = behaviour.set(request.body);
      ctx.log.warn({ behaviour: next, by: request.identity?.subject }, 'recommendations behaviour changed');
      return next;
    },
  );
}
