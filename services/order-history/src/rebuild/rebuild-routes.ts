// Admin routes of the rebuild: start one (admin role), and read the latest's
// progress. Admin routes are served on the instance's own port; the gateway
// does not route /_admin.

import type { ServiceContext } from '@souk/chassis';
import { Type } from 'typebox';
import { ADMIN_REBUILD_PATH, RebuildAccepted, RebuildStatus } from '../../contract.ts';
import type { OrderHistoryDatabase, OrderHistoryDb } from '../db.ts';
import { projectionLag } from '../lag/projection-lag.ts';
import { startRebuild } from './rebuild.ts';

export function registerRebuildRoutes(ctx: ServiceContext<unknown, OrderHistoryDb>, db: OrderHistoryDatabase): void {
  const admin = ctx.auth.required({ roles: ['admin'] });
  const tags = ['admin'];
  const latest = async () =>
    (
      await projectionLag({
        db,
        transport: ctx.events.transport,
        instanceId: ctx.instanceId,
        metrics: ctx.metrics,
        now: () => ctx.clock.now(),
      })
    ).rebuild;

  ctx.app.post(
    ADMIN_REBUILD_PATH,
    {
      onRequest: admin,
      schema: {
        summary: "Empty the read model and replay every producer's events into it",
        tags,
        response: { 202: RebuildAccepted },
      },
    },
    async (request, reply) => {
      const id = await startRebuild({ events: ctx.events, now: () => ctx.clock.now() }, request.identity?.subject ?? null);
      const rebuild = await latest();
      ctx.log.info({ rebuild: id, by: request.identity?.subject }, 'read model rebuild started');
      reply.code(202);
      // Another rebuild may have started in between; either way this is the one running now.
      return { rebuild: rebuild! };
    },
  );

  ctx.app.get(
    ADMIN_REBUILD_PATH,
    {
      onRequest: admin,
      schema: {
        summary: 'The latest rebuild and its progress',
        tags,
        response: { 200: Type.Object({ rebuild: Type.Union([RebuildStatus, Type.Null()]) }) },
      },
    },
    async () => ({ rebuild: await latest() }),
  );
}
