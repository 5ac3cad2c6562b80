// Operator routes of payments (admin role): rebuilding the read model from the log.

import type { EventStore, ServiceContext } from '@souk/chassis';
import { RebuildResult } from '../../contract.ts';
import type { PaymentsDatabase } from '../db.ts';
import { rebuildProjection } from '../projection/payments-projection.ts';

export function registerAdminRoutes(ctx: ServiceContext, deps: { db: PaymentsDatabase; store: EventStore }): void {
  ctx.app.post('/_admin/payments/rebuild', {
    onRequest: ctx.auth.required({ roles: ['admin'] }),
    schema: {
      summary: 'Rebuild the payments table from the event log (the log is the truth; the table can always be thrown away)',
      tags: ['admin'],
      response: { 200: RebuildResult },
    },
  }, async () => {
    const result = await rebuildProjection(deps.db, deps.store, ctx.clock);
    ctx.log.info(result, 'payments read model rebuilt from the log');
    return result;
  });
}
