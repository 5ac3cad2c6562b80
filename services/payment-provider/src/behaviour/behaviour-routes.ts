// The simulator's control panel, /v1/_admin/behaviour with the admin key
// (chaos experiments and tests use it): GET reads, PATCH changes the fields it
// names, DELETE goes back to the configured behaviour; each answers the
// behaviour now in force, the same verbs as shipping's.
// Never affected by the outage it switches on, or nobody could switch it off.

import type { ServiceContext } from '@souk/chassis';
import { API_PREFIX, Behaviour, BehaviourChange } from '../../contract.ts';
import type { KeyHook } from '../auth/api-keys.ts';
import type { BehaviourSettings } from './behaviour.ts';

export const BEHAVIOUR_PATH = `${API_PREFIX}/_admin/behaviour`;

export function registerBehaviourRoutes(ctx: ServiceContext, settings: BehaviourSettings, admin: KeyHook): void {
  const { app, log } = ctx;
  const tags = ['admin'];
  const describe = { 200: Behaviour };

  app.get(
    BEHAVIOUR_PATH,
    {
      onRequest: admin,
      schema: { summary: 'The current behaviour of this instance', tags, response: describe },
    },
    async () => settings.current(),
  );

  app.patch(
    BEHAVIOUR_PATH,
    {
      onRequest: admin,
      schema: {
        summary: 'Change some behaviour settings (the fields given; others stay)',
        tags,
        body: BehaviourChange,
        response: describe,
      },
    },
    async (request) => {
      const next = settings.change(request.body);
      // Warn: a changed behaviour explains the failures that follow in every caller's logs.
      log.warn({ behaviour: next, change: request.body }, 'simulator behaviour changed');
      return next;
    },
  );

  app.delete(
    BEHAVIOUR_PATH,
    {
      onRequest: admin,
      schema: { summary: 'Back to the configured behaviour', tags, response: { 200: Behaviour } },
    },
    async () => {
      const next = settings.reset();
      log.warn({ behaviour: next }, 'simulator behaviour reset');
      return next;
    },
  );
}
