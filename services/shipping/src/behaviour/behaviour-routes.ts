// The admin's controls of the simulation at run time: GET and PUT
// /_admin/shipping/behaviour { failureRate (0..1), delayMs }.

import type { ServiceContext } from '@souk/chassis';
import { BEHAVIOUR_PATH, PutBehaviourBody, ShippingBehaviour } from '../../contract.ts';
import type { Behaviour } from '../shipments/shipment-rules.ts';
import type { BehaviourStore } from './behaviour-store.ts';

const toBody = (b: Behaviour): ShippingBehaviour => ({ ...b, updatedAt: b.updatedAt?.toISOString() ?? null });

export function registerBehaviourRoutes(ctx: ServiceContext, behaviour: BehaviourStore): void {
  const admin = ctx.auth.required({ roles: ['admin'] });
  const tags = ['admin'];

  ctx.app.get(
    BEHAVIOUR_PATH,
    {
      onRequest: admin,
      schema: { summary: 'The simulated carrier: failure rate and delay in force', tags, response: { 200: ShippingBehaviour } },
    },
    async () => toBody(await behaviour.get()),
  );

  ctx.app.put(
    BEHAVIOUR_PATH,
    {
      onRequest: admin,
      schema: {
        summary: 'Change the failure rate and/or the delay (admin); fields left out keep their value',
        tags,
        body: PutBehaviourBody,
        response: { 200: ShippingBehaviour },
      },
    },
    async (request) => {
      const updated = await behaviour.put(request.body, new Date(ctx.clock.now()));
      ctx.log.info(
        { failureRate: updated.failureRate, delayMs: updated.delayMs, by: request.identity?.subject },
        'shipping behaviour changed',
      );
      return toBody(updated);
    },
  );
}
