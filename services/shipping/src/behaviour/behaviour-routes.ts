// The admin's controls of the simulation at run time, /_admin/shipping/behaviour
// { failureRate (0..1), delayMs }: GET reads what is in force, PATCH changes the
// fields it names, DELETE goes back to the configuration. Each answers the
// behaviour now in force; the same verbs as the payment provider's.

import type { ServiceContext } from '@souk/chassis';
import { BEHAVIOUR_PATH, BehaviourChange, ShippingBehaviour } from '../../contract.ts';
import type { Behaviour } from '../shipments/shipment-rules.ts';
import type { BehaviourStore } from './behaviour-store.ts';

const toBody = (b: Behaviour): ShippingBehaviour => ({ ...b, updatedAt: b.updatedAt?.toISOString() ?? null });

export function registerBehaviourRoutes(ctx: ServiceContext, behaviour: BehaviourStore): void {
  const admin = ctx.auth.required({ roles: ['admin'] });
  const tags = ['admin'];
  const response = { 200: ShippingBehaviour };

  ctx.app.get(
    BEHAVIOUR_PATH,
    { onRequest: admin, schema: { summary: 'The simulated carrier: failure rate and delay in force', tags, response } },
    async () => toBody(await behaviour.get()),
  );

  ctx.app.patch(
    BEHAVIOUR_PATH,
    {
      onRequest: admin,
      schema: {
        summary: 'Change the failure rate and/or the delay (admin); fields left out keep their value',
        tags,
        body: BehaviourChange,
        response,
      },
    },
    async (request) => {
      const updated = await behaviour.change(request.body, new Date(ctx.clock.now()));
      ctx.log.info(
        { failureRate: updated.failureRate, delayMs: updated.delayMs, by: request.identity?.subject },
        'shipping behaviour changed',
      );
      return toBody(updated);
    },
  );

  ctx.app.delete(
    BEHAVIOUR_PATH,
    {
      onRequest: admin,
      schema: { summary: 'Back to the configuration (SHIPPING_FAILURE_RATE, SHIPPING_DELAY_MS)', tags, response },
    },
    async (request) => {
      const back = await behaviour.reset();
      ctx.log.info(
        { failureRate: back.failureRate, delayMs: back.delayMs, by: request.identity?.subject },
        'shipping behaviour reset',
      );
      return toBody(back);
    },
  );
}
