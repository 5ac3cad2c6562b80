// The payments service: an event-sourced payment ledger on the chassis event
// store, calling the payment provider with idempotency keys, publishing its
// integration events from the same transactions, and refunding on ShipmentFailed
// (recorded in the inbox transaction, done by the cancellation worker).

import { createEventStore, defineService } from '@souk/chassis';
import { ShipmentFailed } from '@souk/shipping/contract';
import { PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentVoided } from '../contract.ts';
import { migrations } from '../migrations/index.ts';
import { startCancellationWorker } from './cancellation/cancellation-worker.ts';
import { PaymentsConfig, readApiKey } from './config.ts';
import type { PaymentsDb } from './db.ts';
import { registerAdminRoutes } from './http/admin-routes.ts';
import { registerPaymentRoutes } from './http/payment-routes.ts';
import type { PaymentEvent } from './payment/payment-events.ts';
import { createPaymentLedger } from './payment/payment-ledger.ts';
import { PAYMENT_STATE_SCHEMA_VERSION, PAYMENT_STREAM_TYPE, paymentFold, type PaymentState } from './payment/payment-state.ts';
import { createProviderClient, PROVIDER_SERVICE } from './provider/provider-client.ts';
import { recordCancellationOnShipmentFailure } from './shipping/shipment-handlers.ts';

export const paymentsService = defineService<PaymentsDb>()({
  name: 'payments',
  version: '0.1.0',
  config: PaymentsConfig,
  migrations,
  events: { publishes: [PaymentAuthorized, PaymentFailed, PaymentCaptured, PaymentVoided, PaymentRefunded] },
  async setup(ctx) {
    const { db } = ctx;
    const store = createEventStore(ctx.db, { clock: ctx.clock });
    const payments = store.aggregate<PaymentState, PaymentEvent>({
      type: PAYMENT_STREAM_TYPE,
      ...paymentFold,
      snapshotEvery: ctx.config.PAYMENTS_SNAPSHOT_EVERY,
      schemaVersion: PAYMENT_STATE_SCHEMA_VERSION,
    });
    const provider = createProviderClient({
      client: ctx.client(PROVIDER_SERVICE),
      apiKey: await readApiKey(ctx.config),
      timeoutMs: ctx.config.PAYMENTS_PROVIDER_TIMEOUT_MS,
    });
    const ledger = createPaymentLedger({ db, payments, events: ctx.events, provider, log: ctx.log });
    const cancellations = startCancellationWorker({
      db,
      ledger,
      log: ctx.log,
      metrics: ctx.metrics,
      owner: ctx.instanceId,
      pollMs: ctx.config.PAYMENTS_CANCELLATION_POLL_MS,
      leaseMs: ctx.config.PAYMENTS_CANCELLATION_LEASE_MS,
      policy: {
        parkAfter: ctx.config.PAYMENTS_CANCELLATION_PARK_AFTER,
        baseMs: ctx.config.PAYMENTS_CANCELLATION_RETRY_BASE_MS,
        capMs: ctx.config.PAYMENTS_CANCELLATION_RETRY_CAP_MS,
      },
    });
    ctx.onClose(() => cancellations.stop());
    ctx.events.subscribe(
      ShipmentFailed,
      recordCancellationOnShipmentFailure({ recorded: (xid) => cancellations.wakeAfterCommit(xid) }),
    );
    registerPaymentRoutes(ctx, { ledger, store, db });
    registerAdminRoutes(ctx, { db, store, cancellations });
  },
});
